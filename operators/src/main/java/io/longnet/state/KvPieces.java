package io.longnet.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The durable unit of kept k/v rows (state format 2): a piece is rows [firstRow, firstRow + m) of one
 * (layer, branch, head) of the open segment, keys then values, each [m, D] float32 little-endian, so
 * {@code 8 * m * D} bytes. Pieces never cross a multiple of {@link #BLOCK_ROWS}: a block of that many rows
 * is written whole once when its rows arrive between two writes, or as a few pieces when writes fall inside
 * it; either way no stored value is ever rewritten and none holds more than one block.
 *
 * <p>Key (a {@code long}, per branch map): bits 48..63 layer, 32..47 head, 0..31 first row.
 */
public final class KvPieces {

    /** Rows per block: 256 rows of D = 64 are 128 KiB per value. */
    public static final int BLOCK_ROWS = 256;

    private KvPieces() {
    }

    public static long key(int layer, int head, int firstRow) {
        if (layer < 0 || layer > 0xFFFF || head < 0 || head > 0xFFFF || firstRow < 0) {
            throw new IllegalArgumentException("k/v piece key out of range: layer " + layer + ", head " + head
                    + ", first row " + firstRow);
        }
        return ((long) layer << 48) | ((long) head << 32) | firstRow;
    }

    public static int layer(long key) {
        return (int) (key >>> 48);
    }

    public static int head(long key) {
        return (int) ((key >>> 32) & 0xFFFF);
    }

    public static int firstRow(long key) {
        return (int) key;
    }

    /** End of the piece that starts at {@code from} when rows up to {@code to} are to be written. */
    public static int pieceEnd(int from, int to) {
        return Math.min(to, (from / BLOCK_ROWS + 1) * BLOCK_ROWS);
    }

    /** keys and values, each [m, D] row-major, as one piece value. */
    public static byte[] encode(float[] keys, float[] values, int m, int headDim) {
        int floats = m * headDim;
        if (keys.length != floats || values.length != floats) {
            throw new IllegalArgumentException("a piece of " + m + " rows of width " + headDim + " needs " + floats
                    + " keys and values, got " + keys.length + " and " + values.length);
        }
        ByteBuffer out = ByteBuffer.allocate(8 * floats).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(keys).put(values);
        return out.array();
    }

    /** Rows held by a piece value of width {@code headDim}; fails on a length that is not whole rows. */
    public static int rows(byte[] piece, int headDim) {
        if (piece.length == 0 || piece.length % (8 * headDim) != 0) {
            throw new IllegalArgumentException("a k/v piece of " + piece.length + " bytes is not whole rows of "
                    + headDim + " keys and values");
        }
        return piece.length / (8 * headDim);
    }

    /** The keys [m, D] (part 0) or values [m, D] (part 1) of a piece. */
    public static float[] decode(byte[] piece, int headDim, int part) {
        int floats = rows(piece, headDim) * headDim;
        float[] out = new float[floats];
        ByteBuffer.wrap(piece, part * 4 * floats, 4 * floats).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
