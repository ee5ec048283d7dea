package dev.ingot.serve;

/** The two computations the service offers, and how many {@code .npy} arrays each request body holds. */
enum NormKind {
    /** x → y. */
    FORWARD(1),
    /** x, dy → dx (forward statistics, then the gradient from them: forward and backward in one run). */
    BACKWARD(2);

    private final int arrays;

    NormKind(int arrays) {
        this.arrays = arrays;
    }

    /** Arrays in the request body, all of one shape. */
    int arrays() {
        return arrays;
    }
}
