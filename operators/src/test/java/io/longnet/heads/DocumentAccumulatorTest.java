package io.longnet.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.longnet.text.DocSpan;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DocumentAccumulatorTest {

    @Test
    void meanPoolingAndPerplexityByHand() {
        DocumentAccumulator acc = new DocumentAccumulator("d1", 17, 3, 3, Pooling.MEAN, 2);
        acc.addFeatureRow(new float[] {1, 2});
        acc.addFeatureRow(new float[] {3, 4});
        acc.addFeatureRow(new float[] {5, 9});
        acc.addNll(1.0);
        acc.addNll(2.0);

        DocumentResult result = acc.finish();

        // mean nll 1.5, e^1.5 = 4.4816890703380645; one byte per token, so the 2 scored tokens are 2 bytes:
        // 3 nats / ln 2 / 2 = 2.1640425613334453 bits per byte
        assertThat(result).isEqualTo(new DocumentResult("d1", 17, 3, new float[] {3, 5}, 1.5, 4.4816890703380645,
                3.0 / Math.log(2) / 2));
        assertThat(result.bitsPerByte()).isCloseTo(2.1640425613334453, within(1e-15));
    }

    @Test
    void lastPoolingKeepsTheLastTokensRow() {
        DocumentAccumulator acc = new DocumentAccumulator("d2", 0, 3, 3, Pooling.LAST, 2);
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
        DocumentAccumulator acc = new DocumentAccumulator("d3", 0, 3, 3, Pooling.MEAN, 1);
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
            DocumentAccumulator original = new DocumentAccumulator("doc-é", 1L << 40, 3, 11, pooling, 3);
            original.addFeatureRow(new float[] {0.1f, -2f, 3e7f});
            original.addNll(0.3);

            byte[] bytes = original.toBytes();
            DocumentAccumulator restored = DocumentAccumulator.fromBytes(bytes);

            assertThat(bytes[0]).isEqualTo((byte) 2);
            assertThat(restored.byteCount()).isEqualTo(11);
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
        byte[] bytes = new DocumentAccumulator("d", 0, 1, 1, Pooling.MEAN, 4).toBytes();
        byte[] badPooling = bytes.clone();
        badPooling[1 + 4 + 1 + 8 + 4 + 4] = 7; // after version, id length, id, position, token count, byte count
        byte[] badByteCount = bytes.clone();
        ByteBuffer.wrap(badByteCount).putInt(1 + 4 + 1 + 8 + 4, 0);
        byte[] otherVersion = bytes.clone();
        otherVersion[0] = 3;

        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(badPooling)).hasMessageContaining("pooling code 7");
        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(Arrays.copyOf(bytes, 20)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(badByteCount))
                .hasMessage("document 'd' of 1 tokens cannot have 0 bytes: every token stands for at least one (or -1:"
                        + " unknown)");
        assertThatThrownBy(() -> DocumentAccumulator.fromBytes(otherVersion))
                .hasMessage("document state has format version 3, this code reads versions 1 and 2");
    }

    @Test
    void refusesInconsistentUse() {
        DocumentAccumulator acc = new DocumentAccumulator("d4", 5, 2, 2, Pooling.MEAN, 2);

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
        assertThatThrownBy(() -> new DocumentAccumulator("d5", 0, 0, 1, Pooling.MEAN, 2))
                .hasMessageContaining("tokenCount");
        assertThatThrownBy(() -> new DocumentAccumulator("d6", 0, 1, 1, Pooling.MEAN, 0))
                .hasMessageContaining("embedding dimension must be >= 1, got 0");
        assertThatThrownBy(() -> new DocumentAccumulator("d7", 0, 3, 2, Pooling.MEAN, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("document 'd7' of 3 tokens cannot have 2 bytes: every token stands for at least one (or"
                        + " -1: unknown)");
    }

    @Test
    void bitsPerByteIsTheNllSumInBitsOverTheDocumentsUtf8Bytes() {
        // "né!" as 3 tokens of 1, 2 and 2 bytes (say): 5 bytes, every token scored
        DocumentAccumulator acc = new DocumentAccumulator("d8", 1, 3, 5, Pooling.MEAN, 1);
        acc.addFeatureRows(new float[] {1, 2, 3}, 0, 3);
        acc.addNll(new double[] {1.0, 2.0, 0.5}, 0, 3);

        DocumentResult result = acc.finish();

        // 3.5 nats = 3.5 / ln 2 = 5.0494 bits, over 5 bytes
        assertThat(result.bitsPerByte()).isEqualTo(3.5 / Math.log(2) / 5);
        assertThat(result.bitsPerByte()).isCloseTo(1.0098865286222745, within(1e-15));
        assertThat(result.meanNll()).isEqualTo(3.5 / 3);
    }

    @Test
    void withAnUnscoredMultiByteDocumentTokenOrAnUnknownByteCountBitsPerByteIsNaN() {
        DocumentAccumulator restarted = new DocumentAccumulator("d9", 1, 3, 5, Pooling.MEAN, 1);
        restarted.addFeatureRows(new float[] {1, 2, 3}, 0, 3);
        restarted.addNll(new double[] {Double.NaN, 2.0, 0.5}, 0, 3); // the context restarted at its first token
        DocumentAccumulator unknown = new DocumentAccumulator("d10", 1, 1, DocSpan.UNKNOWN_BYTE_COUNT, Pooling.MEAN, 1);
        unknown.addFeatureRow(new float[] {1});
        unknown.addNll(0.5);

        assertThat(restarted.finish().meanNll()).isEqualTo(1.25);
        assertThat(restarted.finish().bitsPerByte()).isNaN();
        assertThat(unknown.finish().meanNll()).isEqualTo(0.5);
        assertThat(unknown.finish().bitsPerByte()).isNaN();
    }

    /** State written before byte counts were kept (format 1) restores with the byte count unknown. */
    @Test
    void readsFormatOneWithTheByteCountUnknown() {
        byte[] formatOne = formatOne("doc-é", 7, 3, Pooling.MEAN, new double[] {2, 4}, 2, 1.5, 1);

        DocumentAccumulator restored = DocumentAccumulator.fromBytes(formatOne);

        assertThat(restored.byteCount()).isEqualTo(DocSpan.UNKNOWN_BYTE_COUNT);
        assertThat(restored.rowCount()).isEqualTo(2);
        assertThat(restored.scoredTokenCount()).isEqualTo(1);
        assertThat(restored.toBytes()[0]).as("written again as format 2").isEqualTo((byte) 2);
        restored.addFeatureRow(new float[] {6, 8});
        restored.addNll(0.5);
        DocumentResult result = restored.finish();
        assertThat(result.embedding()).containsExactly(8f / 3, 4f);
        assertThat(result.meanNll()).isEqualTo(1.0);
        assertThat(result.bitsPerByte()).isNaN();
    }

    /** Format 1 as the previous build wrote it: no byte count after the token count. */
    static byte[] formatOne(String docId, long firstPosition, int tokenCount, Pooling pooling, double[] pooled,
            int rowCount, double nllSum, int nllCount) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1);
            byte[] id = docId.getBytes(StandardCharsets.UTF_8);
            out.writeInt(id.length);
            out.write(id);
            out.writeLong(firstPosition);
            out.writeInt(tokenCount);
            out.writeByte(pooling.wireCode());
            out.writeInt(pooled.length);
            out.writeInt(rowCount);
            for (double v : pooled) {
                out.writeDouble(v);
            }
            out.writeDouble(nllSum);
            out.writeInt(nllCount);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
