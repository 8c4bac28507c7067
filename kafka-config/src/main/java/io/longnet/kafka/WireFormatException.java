package io.longnet.kafka;

import java.util.Objects;

/** A wire record could not be read or written; {@link #error()} says what kind of problem it was. */
public final class WireFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final WireError error;

    public WireFormatException(WireError error, String message) {
        super(message);
        this.error = Objects.requireNonNull(error, "error");
    }

    public WireFormatException(WireError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
    }

    public WireError error() {
        return error;
    }

    /** The same problem, with the record type it occurred in prefixed to the message. */
    WireFormatException in(String recordType) {
        return new WireFormatException(error, "cannot read " + recordType + ": " + getMessage(), this);
    }
}
