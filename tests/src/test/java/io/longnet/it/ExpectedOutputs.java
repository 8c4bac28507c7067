package io.longnet.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.longnet.kafka.Document;
import io.longnet.kafka.EmbeddingOut;
import io.longnet.kafka.PredictionOut;
import io.longnet.kafka.TopToken;
import io.longnet.model.ModelDirectory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The check of a run that was interrupted (killed, restored from a savepoint, rescaled): its read_committed
 * outputs hold every document exactly once, at the stream position and with the values the streaming decoder
 * gives when run directly over each stream ({@link DirectDecoding}), as an uninterrupted run does.
 */
final class ExpectedOutputs {

    private ExpectedOutputs() {
    }

    static void assertExactlyOnceAsDecodedDirectly(ModelDirectory model, List<Document> docs,
            List<EmbeddingOut> embeddings, List<PredictionOut> predictions, double tolerance) {
        List<String> ids = docs.stream().map(Document::id).toList();
        assertThat(embeddings).extracting(EmbeddingOut::id).as("embedding ids").containsExactlyInAnyOrderElementsOf(ids);
        assertThat(predictions).extracting(PredictionOut::id).as("prediction ids").containsExactlyInAnyOrderElementsOf(ids);

        Map<String, DirectDecoding.Expected> expected = DirectDecoding.run(model, docs);
        Map<String, PredictionOut> predictionById = predictions.stream()
                .collect(Collectors.toMap(PredictionOut::id, Function.identity()));
        for (EmbeddingOut actual : embeddings) {
            DirectDecoding.Expected want = expected.get(actual.id());
            assertThat(actual.stream()).as("stream of %s", actual.id()).isEqualTo(want.stream());
            assertThat(actual.firstPosition()).as("firstPosition of %s", actual.id()).isEqualTo(want.firstPosition());
            assertThat(actual.tokenCount()).as("tokenCount of %s", actual.id()).isEqualTo(want.tokenCount());
            assertThat(actual.vector()).as("embedding of %s", actual.id()).containsExactly(want.embedding(),
                    within((float) tolerance));

            PredictionOut prediction = predictionById.get(actual.id());
            assertThat(prediction.firstPosition()).as("prediction position of %s", actual.id())
                    .isEqualTo(want.firstPosition());
            assertThat(prediction.meanNll()).as("meanNll of %s", actual.id()).isCloseTo(want.meanNll(), within(tolerance));
            assertThat(prediction.topNext()).as("top-k of %s", actual.id()).isNotEmpty();
            for (TopToken token : prediction.topNext()) {
                assertThat(token.probability()).as("p(%s) after %s", token.id(), actual.id())
                        .isCloseTo(want.nextProbs()[token.id()], within(tolerance));
            }
            assertTopKInOrder(actual.id(), prediction.topNext(), want.nextProbs(), tolerance);
        }
    }

    /**
     * The listed tokens are the k likeliest, likeliest first: probabilities do not increase down the list, and no
     * token left out is likelier than the last one listed (both up to the tolerance: near ties may swap).
     */
    private static void assertTopKInOrder(String id, List<TopToken> top, double[] probs, double tolerance) {
        for (int i = 1; i < top.size(); i++) {
            assertThat(top.get(i).probability()).as("top-k of %s, rank %d", id, i)
                    .isLessThanOrEqualTo(top.get(i - 1).probability() + tolerance);
        }
        java.util.Set<Integer> listed = top.stream().map(TopToken::id).collect(Collectors.toSet());
        double last = top.get(top.size() - 1).probability();
        for (int t = 0; t < probs.length; t++) {
            if (!listed.contains(t)) {
                assertThat(probs[t]).as("p(%s) after %s, left out of its top-%d", t, id, top.size())
                        .isLessThanOrEqualTo(last + tolerance);
            }
        }
    }

    /** What a consumer that drops repeats by document id keeps: the first output of each id, in reading order. */
    static <T> List<T> firstOfEachId(List<T> outputs, Function<T, String> id) {
        Map<String, T> first = new LinkedHashMap<>();
        outputs.forEach(output -> first.putIfAbsent(id.apply(output), output));
        return new ArrayList<>(first.values());
    }

    /**
     * Every output of an at-least-once run equals the first output of its document id: same coordinates, same
     * values up to {@code tolerance} (a replay may cut its stream into other chunks).
     */
    static void assertRepeatsEqualTheFirst(List<EmbeddingOut> embeddings, List<PredictionOut> predictions,
            double tolerance) {
        Map<String, EmbeddingOut> firstEmbeddings = firstOfEachId(embeddings, EmbeddingOut::id).stream()
                .collect(Collectors.toMap(EmbeddingOut::id, Function.identity()));
        for (EmbeddingOut repeat : embeddings) {
            EmbeddingOut want = firstEmbeddings.get(repeat.id());
            assertThat(List.of(repeat.stream(), repeat.firstPosition(), repeat.tokenCount(), repeat.model()))
                    .as("coordinates of a repeat of %s", repeat.id())
                    .isEqualTo(List.of(want.stream(), want.firstPosition(), want.tokenCount(), want.model()));
            assertThat(repeat.vector()).as("embedding of a repeat of %s", repeat.id())
                    .containsExactly(want.vector(), within((float) tolerance));
        }
        Map<String, PredictionOut> firstPredictions = firstOfEachId(predictions, PredictionOut::id).stream()
                .collect(Collectors.toMap(PredictionOut::id, Function.identity()));
        for (PredictionOut repeat : predictions) {
            PredictionOut want = firstPredictions.get(repeat.id());
            assertThat(List.of(repeat.stream(), repeat.firstPosition(), repeat.tokenCount()))
                    .as("coordinates of a repeat of %s", repeat.id())
                    .isEqualTo(List.of(want.stream(), want.firstPosition(), want.tokenCount()));
            assertThat(repeat.meanNll()).as("meanNll of a repeat of %s", repeat.id())
                    .isCloseTo(want.meanNll(), within(tolerance));
            assertThat(repeat.topNext()).extracting(TopToken::id).as("top-k of a repeat of %s", repeat.id())
                    .containsExactlyElementsOf(want.topNext().stream().map(TopToken::id).toList());
        }
    }
}
