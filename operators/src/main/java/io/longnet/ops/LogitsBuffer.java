package io.longnet.ops;

import io.longnet.decoder.LongNetDecoder;

/**
 * The logits buffer one encoder holds with predictions on: {@link ChunkEncoder} reserves a single float32
 * buffer in ND4J's native memory for the logits of chunks of up to {@code chunkSize} tokens, [chunk-size + 1, V]
 * (the previous chunk's last row scores the chunk's first token), its rows rounded up as
 * {@link LongNetDecoder#reservedLogitsRows} does. At chunk-size 8192 with cl100k_base (V = 100,277) that is
 * 8256 x 100,277 x 4 = 3.3 GB per encoder. With predictions off no logits are computed and there is no buffer.
 *
 * <p>No index limit bounds it below the decoder's own chunk limit ({@code ModelConfig.maxChunkTokens()}): the
 * gemm that fills it takes its rows, V and E as ints each, and the scorer copies it a row at a time at long
 * offsets ({@code Arrays2.copyRow}). What bounds it is native memory, see {@link #requireWithin}.
 *
 * @param chunkSize most tokens in a chunk (setting chunk-size), at least 1
 * @param vocabSize the model's vocab_size, the logits row length, at least 1
 */
public record LogitsBuffer(int chunkSize, int vocabSize) {

    public LogitsBuffer {
        if (chunkSize < 1 || vocabSize < 1) {
            throw new IllegalArgumentException("a logits buffer needs chunk-size >= 1 and vocab_size >= 1, got "
                    + chunkSize + " and " + vocabSize);
        }
        // rows <= 2^31 and V < 2^31: the floats fit a long, but their bytes may not.
        if (reservedRows(chunkSize) > Long.MAX_VALUE / Float.BYTES / vocabSize) {
            throw new IllegalArgumentException("chunk-size " + chunkSize + " at vocab_size " + vocabSize
                    + " needs a logits buffer of more than 2^63 bytes");
        }
    }

    /** Rows reserved: chunk-size + 1, rounded up to a multiple of {@link LongNetDecoder#LOGITS_ROW_STEP}. */
    public long rows() {
        return reservedRows(chunkSize);
    }

    public long bytes() {
        return rows() * vocabSize * Float.BYTES;
    }

    /**
     * Refuses a chunk-size whose buffer alone is above {@code maxPhysicalBytes}, the native-memory bound ND4J
     * 1.0.0-M2.1 runs into. Its arrays are allocated by libnd4j, not by JavaCPP, so JavaCPP's {@code maxBytes}
     * does not count them (an 800 MB array allocates under {@code -Dorg.bytedeco.javacpp.maxbytes=100m}); what
     * stops them is JavaCPP's check of the process's resident memory against {@code maxPhysicalBytes}, which
     * runs at its next allocation (the new array's shape info) and throws OutOfMemoryError. A buffer above that
     * limit on its own fails in every JVM with the same limit, at the first chunk, after every restart. One below
     * it may still fail once the heap, the weights and the other slots' encoders are added (docker/README.md,
     * "Memory"); that sum depends on the TaskManager, not on the model.
     *
     * @param maxPhysicalBytes JavaCPP's {@code Pointer.maxPhysicalBytes()} of the JVM that will allocate the
     *     buffer; 0, as for JavaCPP, for no limit
     * @throws IllegalArgumentException naming chunk-size, vocab_size, the bytes needed, the limit and the largest
     *     chunk-size within it
     */
    public void requireWithin(long maxPhysicalBytes) {
        if (maxPhysicalBytes > 0 && bytes() > maxPhysicalBytes) {
            int largest = largestChunkSize(vocabSize, maxPhysicalBytes);
            throw new IllegalArgumentException("chunk-size " + chunkSize + " with predictions on needs a logits "
                    + "buffer of " + rows() + " rows (chunk-size + 1, rounded up to a multiple of "
                    + LongNetDecoder.LOGITS_ROW_STEP + ") x vocab_size "
                    + vocabSize + " x 4 bytes = " + bytes() + " bytes per encoder, more than the " + maxPhysicalBytes
                    + " bytes of memory JavaCPP lets this JVM hold (maxPhysicalBytes, "
                    + "-Dorg.bytedeco.javacpp.maxphysicalbytes), so every encoder would fail at its first chunk; "
                    + (largest > 0 ? "chunk-size " + largest + " is the largest that fits"
                    : "not even the least buffer, " + LongNetDecoder.LOGITS_ROW_STEP + " rows, fits")
                    + " (lower chunk-size, turn predictions off, or raise maxphysicalbytes)");
        }
    }

    /** The largest chunk-size whose buffer fits in {@code limitBytes} at this vocab_size; 0 when none does. */
    public static int largestChunkSize(int vocabSize, long limitBytes) {
        long step = LongNetDecoder.LOGITS_ROW_STEP;
        long fittingRows = limitBytes / ((long) vocabSize * Float.BYTES) / step * step;
        long chunkSize = fittingRows - 1; // the inverse of ChunkEncoder.logitsRows
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, chunkSize));
    }

    private static long reservedRows(int chunkSize) {
        return LongNetDecoder.reservedLogitsRows(ChunkEncoder.logitsRows(chunkSize));
    }
}
