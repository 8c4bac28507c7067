package io.longnet.kafka;

/** Argument checks for the records' compact constructors; messages name the field and the value. */
final class Checks {
    private Checks() {
    }

    static String nonEmpty(String value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return wellFormed(value, name);
    }

    static String wellFormed(String value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        int bad = WireJson.firstUnpairedSurrogate(value);
        if (bad >= 0) {
            throw new IllegalArgumentException(String.format(
                    "%s is not valid Unicode: unpaired surrogate U+%04X at char index %d",
                    name, (int) value.charAt(bad), bad));
        }
        return value;
    }

    static long nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, was " + value);
        }
        return value;
    }

    static int positive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
        return value;
    }

    static double finite(double value, String name) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, was " + value);
        }
        return value;
    }
}
