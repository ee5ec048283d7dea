package dev.ingot.serve;

/** The service cannot take a request now (queue full, no pipeline free in time): answered with 503. */
final class ServiceBusyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ServiceBusyException(String message) {
        super(message, null, false, false);
    }
}
