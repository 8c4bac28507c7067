package io.longnet.kafka;

/** What was wrong with a record on the wire; the human-readable detail travels beside it. */
public enum WireError {
    /** The Kafka record had no value (a tombstone). */
    NO_VALUE,
    /** The raw value is longer than {@code max-document-bytes}. */
    TOO_LARGE,
    /** The raw value is not well-formed UTF-8. */
    NOT_UTF8,
    /** The value is not one well-formed JSON value. */
    NOT_JSON,
    /** The JSON value is not an object. */
    NOT_OBJECT,
    /** {@code "v"} names a format version this code does not read. */
    UNSUPPORTED_VERSION,
    /** A required field is absent. */
    MISSING_FIELD,
    /** A field holds a JSON type other than the one the format defines. */
    WRONG_TYPE,
    /** A string field that must have content is empty. */
    EMPTY_FIELD,
    /** A field has the right type but a value outside its domain. */
    INVALID_VALUE
}
