package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import io.longnet.model.ModelInit;
import io.longnet.text.CorpusTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluatorTest {

    @TempDir
    Path tmp;

    private static Evaluator evaluator(int chunk) {
        Parameters p = Parameters.of(ModelInit.random(TrainerTest.TINY, 5));
        return new Evaluator(new TrainingDecoder(p, Parameters.zerosLike(p)), CorpusTokenizer.bytes(), chunk);
    }

    @Test
    void perTokenLossesDoNotDependOnTheChunking() {
        int[] tokens = new int[300];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 37 + i / 7) % 257;
        }
        double[] whole = evaluator(1000).perTokenLoss(tokens);
        double[] chunked = evaluator(23).perTokenLoss(tokens);
        assertThat(whole).hasSize(299);
        for (int t = 0; t < whole.length; t++) {
            assertThat(chunked[t]).as("position %d", t).isCloseTo(whole[t], offset(1e-4));
        }
    }

    @Test
    void bucketsSumTheStreamsLossesByPosition() throws Exception {
        Path data = TrainerTest.corpus(tmp.resolve("data"));
        Evaluator e = evaluator(128);
        try (Corpus corpus = Corpus.open(data, Set.of(".java"))) {
            Corpus.Package p = corpus.packages().get(0);
            int[] stream = corpus.tokens(p, CorpusTokenizer.bytes());
            assertThat(stream.length).isGreaterThan(4096 + 1);
            List<Evaluator.Bucket> buckets = e.byPosition(corpus, List.of(p), 5000);
            double[] loss = e.perTokenLoss(java.util.Arrays.copyOf(stream, 5001));
            double first = 0;
            double second = 0;
            for (int t = 0; t < 5000; t++) {
                if (t < 1024) {
                    first += loss[t];
                } else if (t >= 4096) {
                    second += loss[t];
                }
            }
            assertThat(buckets.get(0).targets()).isEqualTo(1024);
            assertThat(buckets.get(0).nats()).isCloseTo(first, offset(1e-6));
            assertThat(buckets.get(2).targets()).isEqualTo(5000 - 4096);
            assertThat(buckets.get(2).nats()).isCloseTo(second, offset(1e-6));
            assertThat(buckets.get(3).targets()).isZero();
        }
    }

    @Test
    void theRecallProbeMeasuresBothOccurrencesOfTheFile() {
        Evaluator e = evaluator(64);
        int[] file = {1, 2, 3, 4, 5, 6, 7, 8};
        int[] filler = {20, 21, 22};
        Evaluator.Probe probe = e.recall("f", file, filler, 10);
        // [sep, file, sep, 10 filler bytes, sep, file]: the file's targets start at 1 and at 1 + 8 + 1 + 10 + 1
        int[] stream = {256, 1, 2, 3, 4, 5, 6, 7, 8, 256, 20, 21, 22, 20, 21, 22, 20, 21, 22, 20, 256,
                        1, 2, 3, 4, 5, 6, 7, 8};
        double[] loss = e.perTokenLoss(stream);
        double firstNats = 0;
        double secondNats = 0;
        for (int i = 0; i < 8; i++) {
            firstNats += loss[i];
            secondNats += loss[20 + i];
        }
        assertThat(probe.firstBitsPerByte()).isCloseTo(firstNats / Math.log(2) / 8, offset(1e-9));
        assertThat(probe.secondBitsPerByte()).isCloseTo(secondNats / Math.log(2) / 8, offset(1e-9));
    }
}
