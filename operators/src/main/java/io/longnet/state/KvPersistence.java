package io.longnet.state;

import io.longnet.attention.AttentionState;
import io.longnet.decoder.DecoderState;
import io.longnet.model.Branch;
import io.longnet.model.DilationSchedule;
import io.longnet.model.ModelConfig;
import java.util.Map;

/**
 * Writes a stream's kept k/v rows to a {@link KvStore} append-only, and reads them back (state format 2).
 *
 * <p>What is stored is a function of the stream position P (and the context start C, 0 unless the stream's
 * context was restarted) alone: for branch (w, r) and a head with offset o, the open segment is floor(P / w)
 * and it holds the kept local rows t = o, o + r, ... below P mod w (and not before C). So a write only needs
 * the position of the previous write: for a branch whose segment is still the same, the rows between the
 * two counts are new and go out as new pieces; for one whose segment changed, the map is cleared and the
 * open segment's rows (usually few) are written. Nothing stored is ever rewritten, and rows of segments
 * that open and close between two writes never reach the store.
 */
public final class KvPersistence {

    /** What {@link #write} is told for a stream whose store is empty. */
    public static final long NEVER_WRITTEN = -1;
    /** What {@link #write} is told for a stream whose store holds rows of an earlier context, to be dropped. */
    public static final long STALE = -2;

    private final ModelConfig config;
    private final DilationSchedule schedule;
    private final int heads;
    private final int headDim;

    public KvPersistence(ModelConfig config) {
        this.config = config;
        this.schedule = config.schedule();
        this.heads = config.heads();
        this.headDim = config.headDim();
    }

    /** Rows head {@code head} of branch {@code b} keeps at stream position {@code position}, context from C. */
    public int rowsAt(long contextStart, long position, int b, int head) {
        Branch branch = schedule.branch(b);
        long segmentStart = position / branch.segmentLength() * branch.segmentLength();
        int offset = schedule.offset(b, head, heads);
        int end = keptBelow((int) (position - segmentStart), offset, branch.dilatedRatio());
        int start = keptBelow((int) Math.max(0, contextStart - segmentStart), offset, branch.dilatedRatio());
        return end - start;
    }

    /** Kept local rows t = offset, offset + r, ... below {@code local}. */
    private static int keptBelow(int local, int offset, int r) {
        return local > offset ? (local - offset + r - 1) / r : 0;
    }

    /** Bytes of new kept rows per token, all layers (analytic: layers x sum_i 2E / r_i floats). */
    public double newRowBytesPerToken() {
        double perLayer = 0;
        for (int b = 0; b < schedule.size(); b++) {
            perLayer += 2.0 * config.embedDim() * Float.BYTES / schedule.branch(b).dilatedRatio();
        }
        return config.layers() * perLayer;
    }

    /**
     * Writes what {@code state} keeps that the store does not. The store was last written by this method for
     * the same context at {@code writtenAt}; or it is empty ({@link #NEVER_WRITTEN}); or it holds rows of an
     * earlier context ({@link #STALE}), which are dropped. Returns the bytes of the pieces written.
     */
    public long write(DecoderState state, long writtenAt, KvStore store) throws Exception {
        long position = state.position();
        long context = state.contextStart();
        if (writtenAt > position || (writtenAt >= 0 && writtenAt < context)) {
            throw new IllegalArgumentException("k/v store was written at position " + writtenAt
                    + ", outside the state's context [" + context + ", " + position + "]");
        }
        long bytes = 0;
        for (int b = 0; b < schedule.size(); b++) {
            int w = schedule.branch(b).segmentLength();
            boolean sameSegment = writtenAt >= 0 && writtenAt / w == position / w;
            if (writtenAt != NEVER_WRITTEN && !sameSegment) {
                store.clear(b);
            }
            for (int layer = 0; layer < config.layers(); layer++) {
                AttentionState attention = state.layer(layer);
                for (int h = 0; h < heads; h++) {
                    int from = sameSegment ? rowsAt(context, writtenAt, b, h) : 0;
                    int to = checkedRows(attention, context, position, layer, b, h);
                    bytes += writeRows(attention, layer, b, h, from, to, store);
                }
            }
        }
        return bytes;
    }

    private int checkedRows(AttentionState attention, long context, long position, int layer, int b, int h) {
        int rows = attention.rows(b, h);
        int expected = rowsAt(context, position, b, h);
        if (rows != expected) {
            throw new IllegalStateException("layer " + layer + " branch " + b + " head " + h + " keeps " + rows
                    + " rows at position " + position + ", but the schedule keeps " + expected);
        }
        return rows;
    }

    private long writeRows(AttentionState attention, int layer, int b, int h, int from, int to, KvStore store)
            throws Exception {
        if (from >= to) {
            return 0;
        }
        long bytes = 0;
        for (int start = from; start < to; start = KvPieces.pieceEnd(start, to)) {
            int end = KvPieces.pieceEnd(start, to);
            byte[] piece = KvPieces.encode(attention.keyRows(b, h, start, end), attention.valueRows(b, h, start, end),
                    end - start, headDim);
            store.put(b, KvPieces.key(layer, h, start), piece);
            bytes += piece.length;
        }
        return bytes;
    }

    /**
     * Fills {@code state}, new and empty, with the rows stored for a stream at {@code position} whose context
     * starts at {@code contextStart}. Fails, naming the layer, branch and head, when the pieces do not cover
     * exactly the rows that position keeps. Each piece is appended as the store yields it (in key order, see
     * {@link KvStore#pieces}), so a restore holds one piece's bytes at a time beside the rows, never a branch's.
     */
    public void read(DecoderState state, long contextStart, long position, KvStore store) throws Exception {
        state.restorePosition(contextStart, position);
        for (int b = 0; b < schedule.size(); b++) {
            int[] next = new int[config.layers() * heads]; // [layers * H] next row expected
            for (Map.Entry<Long, byte[]> piece : store.pieces(b)) {
                appendPiece(state, b, piece.getKey(), piece.getValue(), next);
            }
            for (int layer = 0; layer < config.layers(); layer++) {
                for (int h = 0; h < heads; h++) {
                    int expected = rowsAt(contextStart, position, b, h);
                    if (next[layer * heads + h] != expected) {
                        throw new IllegalStateException("stored k/v of layer " + layer + " branch " + b + " head " + h
                                + " holds " + next[layer * heads + h] + " rows, but position " + position + " keeps "
                                + expected);
                    }
                }
            }
        }
    }

    private void appendPiece(DecoderState state, int b, long key, byte[] piece, int[] next) {
        int layer = KvPieces.layer(key);
        int h = KvPieces.head(key);
        if (layer >= config.layers() || h >= heads) {
            throw new IllegalStateException("stored k/v piece of branch " + b + " names layer " + layer + " head " + h
                    + ", but the model has " + config.layers() + " layers of " + heads + " heads");
        }
        int first = KvPieces.firstRow(key);
        if (first != next[layer * heads + h]) {
            throw new IllegalStateException("stored k/v of layer " + layer + " branch " + b + " head " + h
                    + " has a piece at row " + first + " where row " + next[layer * heads + h] + " was expected");
        }
        int m = KvPieces.rows(piece, headDim);
        state.layer(layer).append(b, h, KvPieces.decode(piece, headDim, 0), KvPieces.decode(piece, headDim, 1));
        next[layer * heads + h] = first + m;
    }
}
