package io.longnet.io;

import java.util.Arrays;

/** A tensor to write: F32 from {@code floats} or I64 from {@code longs}, row-major in {@code shape}. */
public record NamedTensor(String name, long[] shape, float[] floats, long[] longs) {

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
        return new NamedTensor(name, shape, data, null);
    }

    public static NamedTensor i64(String name, long[] data, long... shape) {
        return new NamedTensor(name, shape, null, data);
    }

    public DType dtype() {
        return floats != null ? DType.F32 : DType.I64;
    }
}
