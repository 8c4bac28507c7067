package io.longnet.io;

/** The safetensors element types this project reads (F32, F16, BF16 as floats; I64 as longs) and writes (F32, I64). */
public enum DType {
    F32(4), F16(2), BF16(2), I64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public boolean isFloat() {
        return this != I64;
    }

    /** Null when the dtype string is not one we read. */
    static DType parse(String s) {
        for (DType d : values()) {
            if (d.name().equals(s)) {
                return d;
            }
        }
        return null;
    }
}
