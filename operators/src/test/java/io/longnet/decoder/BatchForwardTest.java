package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.longnet.attention.Arrays2;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Several streams' chunks in one forward give each stream what it gets alone, and leave the same state. */
class BatchForwardTest {

    /**
     * Four streams at different places: at position 0, mid-segment (the batch's chunk crosses segment boundaries of
     * every branch), far along a stream, and a one-token chunk; then a second batch over the states the first left.
     */
    @Test
    void aBatchGivesEachStreamItsOwnForwardAndState() {
        Random rnd = new Random(11);
        for (ModelConfig c : DecoderTest.variants()) {
            LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 3));
            long far = 1L << 20;
            for (Integer w : c.schedule().segmentLengths()) {
                far *= w; // a multiple of every segment length
            }
            DecoderState[] batched = {decoder.newState(), decoder.newState(), decoder.newStateAt(far),
                    decoder.newState()};
            DecoderState[] alone = {decoder.newState(), decoder.newState(), decoder.newStateAt(far),
                    decoder.newState()};
            int[] prefix = rnd.ints(7, 0, c.vocabSize()).toArray();
            decoder.forward(prefix, batched[1], false);
            decoder.forward(prefix, alone[1], false);
            for (int round = 0; round < 2; round++) {
                int[][] chunks = {rnd.ints(5, 0, c.vocabSize()).toArray(), rnd.ints(23, 0, c.vocabSize()).toArray(),
                        rnd.ints(9, 0, c.vocabSize()).toArray(), rnd.ints(1, 0, c.vocabSize()).toArray()};
                List<LongNetDecoder.Part> parts = new ArrayList<>();
                for (int s = 0; s < chunks.length; s++) {
                    parts.add(new LongNetDecoder.Part(chunks[s], batched[s]));
                }
                var together = decoder.forward(parts);
                for (int s = 0; s < chunks.length; s++) {
                    float[] expected = decoder.forward(chunks[s], alone[s], false).featuresRowMajor();
                    float[] got = Arrays2.rowMajor(together.get(s));
                    assertThat(got).as("%s round %d stream %d", c, round, s).hasSize(expected.length);
                    assertThat(DecoderTest.maxAbsDiff(got, expected)).as("%s round %d stream %d", c, round, s)
                            .isLessThan(1e-5f);
                    assertThat(batched[s].position()).isEqualTo(alone[s].position());
                    assertThat(batched[s].keptBytes()).isEqualTo(alone[s].keptBytes());
                }
            }
        }
    }

    /**
     * What the encoder reserves before a forward: the buffers a chunk leaves never exceed the bound taken before it,
     * over chunks of 1 to 40 tokens that open, fill and close segments of every branch.
     */
    @Test
    void theHeldBytesAfterAChunkStayWithinTheBoundTakenBeforeIt() {
        Random rnd = new Random(5);
        for (ModelConfig c : DecoderTest.variants()) {
            LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 3));
            DecoderState state = decoder.newState();
            boolean grew = false;
            for (int chunk = 0; chunk < 30; chunk++) {
                int n = 1 + rnd.nextInt(40);
                long bound = state.heldBytesAfter(n);
                long before = state.heldBytes();
                decoder.forward(rnd.ints(n, 0, c.vocabSize()).toArray(), state, false);
                assertThat(state.heldBytes()).as("%s chunk %d of %d tokens", c, chunk, n)
                        .isLessThanOrEqualTo(bound);
                grew |= state.heldBytes() > before;
            }
            assertThat(grew).isTrue();
        }
    }

    @Test
    void aStreamTwiceInOneBatchOrAnEmptyChunkIsRefused() {
        ModelConfig c = DecoderTest.variants().get(0);
        LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 3));
        DecoderState state = decoder.newState();
        assertThatThrownBy(() -> decoder.forward(List.of(new LongNetDecoder.Part(new int[] {1}, state),
                new LongNetDecoder.Part(new int[] {2}, state)))).hasMessageContaining("at most one chunk per stream");
        assertThatThrownBy(() -> decoder.forward(List.of(new LongNetDecoder.Part(new int[0], decoder.newState()))))
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> decoder.forward(List.of())).hasMessageContaining("at least one");
        assertThat(state.position()).isZero();
    }
}
