package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DocumentAccumulatorTest {

    @Test
    void meanPoolingAndPerplexityByHand() {
        DocumentAccumulator acc = new DocumentAccumulator("d1", 17, 3, Pooling.MEAN, 2);
        acc.addFeatureRow(new float[] {1, 2});
        acc.addFeatureRow(new float[] {3, 4});
        acc.addFeatureRow(new float[] {5, 9});
        acc.addNll(1.0);
        acc.addNll(2.0);

        DocumentResult result = acc.finish();

        // mean nll 1.5, e^1.5 = 4.4816890703380645
        assertThat(result).isEqualTo(new DocumentResult("d1", 17, 3, new float[] {3, 5}, 1.5, 4.4816890703380645));
    }

    @Test
    void lastPoolingKeepsTheLastTokensRow() {
        DocumentAccumulator acc = new DocumentAccumulator("d2", 0, 3, Pooling.LAST, 2);
        float[] chunkFeatures = { // [4, 2]: the separator's row, then the document's three rows
            9, 9,
            1, 2,
            3, 4,
            5, 6};
        acc.addFeatureRows(chunkFeatures, 1, 2);
        acc.addFeatureRows(chunkFeatures, 3, 1);
        acc.addNll(new double[] {Double.NaN, 0.25, 0.75}, 1, 2);

        DocumentResult result = acc.finish();

        assertThat(result.embedding()).containsExactly(5f, 6f);
        assertThat(result.meanNll()).isEqualTo(0.5);
        assertThat(result.perplexity()).isEqualTo(Math.exp(0.5));
    }

    @Test
    void meanSumsInDoubleSoSmallRowsAreNotLost() {
        DocumentAccumulator acc = new DocumentAccumulator("d3", 0, 3, Pooling.MEAN, 1);
        acc.addFeatureRows(new float[] {16777216f, 1f, 1f}, 0, 3); // [3, 1]; 2^24 + 1 == 2^24 in float
        acc.addNll(0.0);

        // A float running sum would give 2^24 / 3 = 5592405.33; the exact mean is 5592406.
        assertThat(acc.finish().embedding()).containsExactly(5592406f);
    }

    @Test
    void poolingParsesConfigNamesAndNamesTheSettingOnError() {
        assertThat(Pooling.parse("mean")).isEqualTo(Pooling.MEAN);
        assertThat(Pooling.parse(" LAST ")).isEqualTo(Pooling.LAST);
        assertThatThrownBy(() -> Pooling.parse("max"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pooling must be one of [mean, last], got 'max'");
        assertThatThrownBy(() -> Pooling.parse(null)).hasMessageContaining("pooling");
    }

    @Test
    void bytesRoundTripMidDocument() {
        for (Pooling pooling : Pooling.values()) {
            DocumentAccumulator original = new DocumentAccumulator("doc-é", 1L << 40, 3, pooling, 3);
            original.addFeatureRow(new float[] {0.1f, -2f, 3e7f});
            original.addNll(0.3);

            byte[] bytes = original.toBytes();
            DocumentAccumulator restored = DocumentAccumulator.fromBytes(bytes);

            assertThat(bytes[0]).isEqualTo((byte) 1);
            assertThat(restored.toBytes()).isEqualTo(bytes);
            for (DocumentAccumulator acc : new DocumentAccumulator[] {original, restored}) {
                acc.addFeatureRows(new float[] {1, 2, 3, 4, 5, 6}, 0, 2);
                acc.addNll(0.7);
            }
            assertThat(restored.finish()).isEqualTo(original.finish());
            assertThat(restored.finish().firstPosition()).isEqualTo(1L << 40);
        }
    }

    @Test
    void rejectsDamagedState() {
        byte[] bytes = new DocumentAccumulator("d", 0, 1, Pooling.MEAN, 4).toBytes();
        byte[] badPooling = bytes.clone();
        badPooling[1 + 4 + 1 + 8 + 4] = 7; // after version, id length, id, position, token count

        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(badPooling)).hasMessageContaining("pooling code 7");
        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(Arrays.copyOf(bytes, 20)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesInconsistentUse() {
        DocumentAccumulator acc = new DocumentAccumulator("d4", 5, 2, Pooling.MEAN, 2);

        assertThatThrownBy(() -> acc.addFeatureRow(new float[3])).hasMessageContainingAll("'d4'", "3 values", "2");
        assertThatThrownBy(() -> acc.addFeatureRows(new float[6], 0, 3))
                .hasMessageContainingAll("2 tokens", "3 feature rows");
        assertThatThrownBy(() -> acc.addFeatureRows(new float[4], 1, 2)).hasMessageContaining("out of range");
        acc.addNll(Double.NaN); // unscored: the first token of a restarted context
        assertThat(acc.scoredTokenCount()).isZero();
        assertThatThrownBy(() -> acc.addNll(-0.5)).hasMessageContaining("-0.5");
        acc.addFeatureRow(new float[2]);
        assertThatThrownBy(acc::finish).hasMessageContainingAll("2 tokens", "only 1 feature rows");
        acc.addFeatureRow(new float[2]);
        assertThatThrownBy(acc::finish).hasMessageContaining("no scored token");
        assertThatThrownBy(() -> new DocumentAccumulator("d5", 0, 0, Pooling.MEAN, 2))
                .hasMessageContaining("tokenCount");
        assertThatThrownBy(() -> new DocumentAccumulator("d6", 0, 1, Pooling.MEAN, 0))
                .hasMessageContaining("embedding dimension must be >= 1, got 0");
    }
}
