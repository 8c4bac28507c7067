package io.longnet.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A forward pass undone by {@link StreamingDecoder#rollBack} leaves no trace, also across segment closes. */
class RollBackTest {

    @Test
    void aRolledBackChunkChangesNothingThatFollows() {
        Random rnd = new Random(3);
        for (ModelConfig c : DecoderTest.variants()) {
            ModelWeights w = ModelInit.random(c, 42);
            LongNetDecoder decoder = new LongNetDecoder(w);
            int[] before = rnd.ints(13, 0, c.vocabSize()).toArray(); // the undone chunk crosses multiples of 4..16
            int[] undone = rnd.ints(11, 0, c.vocabSize()).toArray();
            int[] after = rnd.ints(9, 0, c.vocabSize()).toArray();

            StreamingDecoder straight = new StreamingDecoder(decoder);
            straight.accept(before, false);
            float[] expected = straight.accept(after, false).featuresRowMajor();

            StreamingDecoder rolled = new StreamingDecoder(decoder);
            rolled.accept(before, false);
            StreamingDecoder.Mark mark = rolled.mark(undone.length);
            rolled.accept(undone, false);
            rolled.rollBack(mark);
            assertThat(rolled.position()).isEqualTo(before.length);
            assertThat(rolled.stateBytes()).isEqualTo(stateBytesAfter(decoder, before));
            assertThat(rolled.accept(after, false).featuresRowMajor()).as(c.toString())
                    .containsExactly(expected);
        }
    }

    private static long stateBytesAfter(LongNetDecoder decoder, int[] tokens) {
        StreamingDecoder d = new StreamingDecoder(decoder);
        d.accept(Arrays.copyOf(tokens, tokens.length), false);
        return d.stateBytes();
    }
}
