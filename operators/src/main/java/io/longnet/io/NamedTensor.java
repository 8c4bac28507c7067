package io.longnet.io;

import java.util.Arrays;

/**
 * A tensor to write, row-major in {@code shape}: {@code floats} stored as F32 or, with {@code bf16}, rounded to
 * BF16 (nearest, ties to even); or I64 from {@code longs}.
 */
public record NamedTensor(String name, long[] shape, float[] floats, long[] longs, boolean bf16) {

    public NamedTensor {
        if ((floats == null) == (longs == null)) {
            throw new IllegalArgumentException("tensor " + name + " needs exactly one of float or long data");
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor " + name + " has negative dimension in " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        long have = floats != null ? floats.length : longs.length;
        if (n != have) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape)
                    + " (" + n + " elements) but " + have + " values");
        }
    }

    public static NamedTensor f32(String name, float[] data, long... shape) {
        return new NamedTensor(name, shape, data, null, false);
    }

    public static NamedTensor bf16(String name, float[] data, long... shape) {
        return new NamedTensor(name, shape, data, null, true);
    }

    public static NamedTensor i64(String name, long[] data, long... shape) {
        return new NamedTensor(name, shape, null, data, false);
    }

    public DType dtype() {
        return floats == null ? DType.I64 : bf16 ? DType.BF16 : DType.F32;
    }
}
