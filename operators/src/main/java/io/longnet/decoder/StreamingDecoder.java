package io.longnet.decoder;

import io.longnet.attention.AttentionState;
import io.longnet.model.DilationSchedule;
import io.longnet.model.ModelConfig;

/**
 * One stream fed chunk by chunk: any chunking gives the features and logits of one full causal forward pass
 * over the whole sequence (spec section 7), while holding only the open segments' kept rows.
 */
public final class StreamingDecoder {

    private final LongNetDecoder decoder;
    private final DecoderState state;

    public StreamingDecoder(LongNetDecoder decoder) {
        this.decoder = decoder;
        this.state = decoder.newState();
    }

    /** The chunk's features [n, E] and logits [n, V]. */
    public DecoderOutput accept(int[] tokens) {
        return decoder.forward(tokens, state, true);
    }

    /** The chunk's features [n, E] and, when asked, logits [n, V]. */
    public DecoderOutput accept(int[] tokens, boolean computeLogits) {
        return decoder.forward(tokens, state, computeLogits);
    }

    /**
     * What {@link #rollBack} needs to undo a forward pass of {@code tokens} tokens: the position and the row
     * counts, and a copy of the rows of each (layer, branch, head) whose segment closes within those tokens (a
     * close lets the next segment's rows overwrite them). Copies cost what a checkpoint writes per token,
     * amortized: a branch's rows are copied once per segment; they are dropped with the mark.
     */
    public Mark mark(int tokens) {
        ModelConfig config = decoder.config();
        DilationSchedule schedule = config.schedule();
        int heads = config.heads();
        int slots = config.layers() * schedule.size() * heads;
        long position = state.position();
        int[] rows = new int[slots];         // [layers * branches * H]
        float[][] keys = new float[slots][];   // [rows, D] where the segment closes, else null
        float[][] values = new float[slots][]; // [rows, D] likewise
        for (int layer = 0, i = 0; layer < config.layers(); layer++) {
            AttentionState attention = state.layer(layer);
            for (int b = 0; b < schedule.size(); b++) {
                long w = schedule.branch(b).segmentLength();
                boolean closes = (position + tokens) / w > position / w;
                for (int h = 0; h < heads; h++, i++) {
                    rows[i] = attention.rows(b, h);
                    if (closes && rows[i] > 0) {
                        keys[i] = attention.keyRows(b, h, 0, rows[i]);
                        values[i] = attention.valueRows(b, h, 0, rows[i]);
                    }
                }
            }
        }
        return new Mark(position, rows, keys, values);
    }

    /** This decoder's state as it was at {@code mark}: a forward pass since (finished or not) is undone. */
    public void rollBack(Mark mark) {
        ModelConfig config = decoder.config();
        int branches = config.schedule().size();
        int heads = config.heads();
        for (int layer = 0, i = 0; layer < config.layers(); layer++) {
            AttentionState attention = state.layer(layer);
            for (int b = 0; b < branches; b++) {
                for (int h = 0; h < heads; h++, i++) {
                    if (mark.keys[i] != null) {
                        attention.truncate(b, h, 0);
                        attention.append(b, h, mark.keys[i], mark.values[i]);
                    } else {
                        attention.truncate(b, h, mark.rows[i]);
                    }
                }
            }
        }
        state.rollBackTo(mark.position);
    }

    /** See {@link #mark}. */
    public static final class Mark {
        private final long position;
        private final int[] rows;
        private final float[][] keys;
        private final float[][] values;

        private Mark(long position, int[] rows, float[][] keys, float[][] values) {
            this.position = position;
            this.rows = rows;
            this.keys = keys;
            this.values = values;
        }
    }

    public long position() {
        return state.position();
    }

    /** The state this decoder advances; what {@link io.longnet.state.KvPersistence} writes and restores. */
    public DecoderState state() {
        return state;
    }

    /** Bytes held as kept keys and values; at most layers x sum_i ceil(w_i/r_i) x 2E floats. */
    public long stateBytes() {
        return state.keptBytes();
    }

    public LongNetDecoder decoder() {
        return decoder;
    }
}
