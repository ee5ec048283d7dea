package dev.ingot.serve;

/** A request the service will not serve as sent: answered with 400 and the message. */
final class BadRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    BadRequestException(String message) {
        super(message, null, false, false);
    }
}
