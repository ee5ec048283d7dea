package dev.ingot.runtime;

/**
 * No pipeline for the requested shape became free within the timeout of {@link PipelinePool#acquire}. The pool
 * is unchanged and usable; a service typically answers "overloaded" (HTTP 503).
 */
public final class PipelinePoolTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A timeout.
     *
     * @param message what was waited for and how long
     * @param cause   what stood in the way (e.g. the backend's memory limit), or null
     */
    public PipelinePoolTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
