package io.longnet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.decoder.DecoderOutput;
import io.longnet.decoder.LongNetDecoder;
import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelDirectory;
import io.longnet.model.ModelInit;
import io.longnet.model.ModelWeights;
import io.longnet.text.CorpusTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class TrainerTest {

    static final ModelConfig TINY = ModelConfigJson.parse("{\"vocab_size\": 257, \"decoder_embed_dim\": 32, "
            + "\"decoder_attention_heads\": 2, \"decoder_ffn_embed_dim\": 64, \"decoder_layers\": 2, "
            + "\"segment_length\": [16, 64], \"dilated_ratio\": [1, 4], \"share_decoder_input_output_embed\": true}");

    @TempDir
    Path tmp;

    /** A small corpus of Java-like files in packages: structure a tiny model can learn in a few hundred steps. */
    static Path corpus(Path dir) throws IOException {
        Random rnd = new Random(1);
        String[] types = {"int", "long", "String", "double"};
        String[] names = {"count", "total", "name", "value", "index", "limit"};
        for (String pkg : new String[] {"app/core", "app/io", "app/util", "app/net", "lib/held"}) {
            for (int f = 0; f < 3; f++) {
                StringBuilder s = new StringBuilder("package " + pkg.replace('/', '.') + ";\n\npublic class C" + f
                        + " {\n");
                for (int line = 0; line < 25; line++) {
                    String type = types[rnd.nextInt(types.length)];
                    String name = names[rnd.nextInt(names.length)];
                    s.append("    private ").append(type).append(' ').append(name).append(line).append(";\n");
                    s.append("    public ").append(type).append(" get").append(line).append("() { return ")
                            .append(name).append(line).append("; }\n");
                }
                s.append("}\n");
                Path file = dir.resolve(pkg).resolve("C" + f + ".java");
                Files.createDirectories(file.getParent());
                Files.writeString(file, s.toString());
            }
        }
        return dir;
    }

    static TrainConfig config(Path data, Path out, long steps) {
        return new TrainConfig(data, Set.of(".java"), List.of("lib.held"), out, 3, steps, 2, 128, 1, 1e-2, 1e-3, 10,
                new AdamW.Config(0.9, 0.95, 1e-8, 0.01, 1.0, false), 25, 50, 512, 2, 60);
    }

    @Test
    void aTinyModelLearnsWellBelowTheUnigramEntropyAndItsModelGivesForwardTheSameLoss() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        TrainConfig config = config(data, tmp.resolve("run"), 200);
        Trainer trainer = new Trainer(config, CorpusTokenizer.bytes(), quiet());
        Trainer.Summary summary = trainer.run(ModelInit.random(TINY, 3));
        double unigramBits = unigramEntropyBits(data);
        double trainBits = summary.trainLoss() / Math.log(2);
        assertThat(trainBits).as("train bits/byte against the unigram entropy %.3f", unigramBits)
                .isLessThan(0.5 * unigramBits);
        assertThat(summary.heldOut().bitsPerByte()).as("held-out bits/byte").isLessThan(0.6 * unigramBits);

        ModelDirectory saved = ModelDirectory.save(tmp.resolve("model"), summary.weights().toWeights());
        ModelWeights loaded = ModelDirectory.load(saved.dir()).weights();
        int[] sequence = CorpusTokenizer.bytes().encodeUtf8(Files.readAllBytes(data.resolve("lib/held/C1.java")));
        double trained = trainingLoss(loaded, sequence);
        double inference = inferenceLoss(loaded, sequence);
        assertThat(inference).as("forward's loss of the saved model").isCloseTo(trained,
                org.assertj.core.data.Offset.offset(1e-4 * trained));
    }

    @Test
    void sameSeedSameLosses() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        List<Double> first = losses(data, tmp.resolve("a"));
        List<Double> second = losses(data, tmp.resolve("b"));
        assertThat(first).hasSize(30).isEqualTo(second);
        assertThat(first.get(29)).isLessThan(first.get(0)); // it trained
    }

    /** Two chunks per lane per step over packages shorter than a step: lanes move on to their next package mid-step. */
    @Test
    void accumulatedChunksKeepTheirOwnStreamAcrossPackageBoundaries() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        TrainConfig c = config(data, tmp.resolve("run"), 30);
        TrainConfig accumulating = new TrainConfig(c.data(), c.extensions(), c.heldOut(), c.out(), c.seed(), 30,
                c.batch(), 512, 2, c.lr(), c.minLr(), c.warmup(), c.adam(), 10, 0, 512, 0, 60);
        Trainer.Summary summary = new Trainer(accumulating, CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(TINY, 3));
        assertThat(summary.steps()).isEqualTo(30);
        List<Double> losses = trainLosses(c.out());
        assertThat(losses.get(29)).isLessThan(losses.get(0));
    }

    @Test
    void aCheckpointOfAnotherRunIsRefused() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        Path out = tmp.resolve("run");
        new Trainer(config(data, out, 25), CorpusTokenizer.bytes(), quiet()).run(ModelInit.random(TINY, 3));
        TrainConfig c = config(data, out, 50);
        TrainConfig otherSeed = new TrainConfig(c.data(), c.extensions(), c.heldOut(), out, 4, 50, c.batch(),
                c.chunk(), 1, c.lr(), c.minLr(), c.warmup(), c.adam(), 25, 50, 512, 2, 60);
        assertThatThrownBy(() -> new Trainer(otherSeed, CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(TINY, 3))).hasMessageContaining("belongs to a run with")
                .hasMessageContaining("--seed");
    }

    /** xPos on or off gives weights of the same shapes: only the recorded config tells the runs apart. */
    @Test
    void aCheckpointOfAnotherModelIsRefusedOneWithoutARecordedModelResumes() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        Path out = tmp.resolve("run");
        new Trainer(config(data, out, 25), CorpusTokenizer.bytes(), quiet()).run(ModelInit.random(TINY, 3));
        ModelConfig withXpos = ModelConfigJson.parse(ModelConfigJson.toJson(TINY).replace("\"xpos_rel_pos\" : false",
                "\"xpos_rel_pos\" : true"));
        assertThat(withXpos.xpos()).isTrue();

        assertThatThrownBy(() -> new Trainer(config(data, out, 50), CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(withXpos, 3))).hasMessageContaining("is of the model")
                .hasMessageContaining("\"xpos_rel_pos\" : false").hasMessageContaining("--config");

        Path state = TrainCheckpoint.directory(out).resolve("step-00000025").resolve("state.json");
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(state.toFile());
        ((ObjectNode) json.get("run")).remove("model");
        Files.writeString(state, json.toString());
        Trainer.Summary resumed = new Trainer(config(data, out, 30), CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(TINY, 3));
        assertThat(resumed.steps()).isEqualTo(30);
    }

    @Test
    void aNanLossStopsTrainingAndKeepsTheLastGoodCheckpoint() throws Exception {
        Path data = corpus(tmp.resolve("data"));
        Path out = tmp.resolve("run");
        new Trainer(config(data, out, 25), CorpusTokenizer.bytes(), quiet()).run(ModelInit.random(TINY, 3));
        Path checkpoint = TrainCheckpoint.directory(out).resolve("step-00000025");
        assertThat(checkpoint.resolve("COMPLETE")).exists();
        ModelWeights poisoned = ModelInit.random(TINY, 3);
        poisoned.get("layer_norm.weight")[0] = Float.NaN;
        assertThatThrownBy(() -> new Trainer(config(data, tmp.resolve("nan"), 50), CorpusTokenizer.bytes(), quiet())
                .run(poisoned)).hasMessageContaining("loss is NaN at step 1");
        assertThat(TrainCheckpoint.directory(tmp.resolve("nan"))).doesNotExist();
    }

    @Test
    void badInputGivesOneClearError() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> new Trainer(config(empty, tmp.resolve("r1"), 5), CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(TINY, 1))).hasMessageContaining("has no files ending in");
        Path onlyHeldOut = tmp.resolve("held");
        Files.createDirectories(onlyHeldOut.resolve("lib/held"));
        Files.writeString(onlyHeldOut.resolve("lib/held/A.java"), "class A {}");
        assertThatThrownBy(() -> new Trainer(config(onlyHeldOut, tmp.resolve("r2"), 5), CorpusTokenizer.bytes(),
                quiet()).run(ModelInit.random(TINY, 1))).hasMessageContaining("no package left to train on");
        Path tiny = tmp.resolve("tiny");
        Files.createDirectories(tiny.resolve("a"));
        Files.writeString(tiny.resolve("a/A.java"), "x");
        assertThatThrownBy(() -> new Trainer(config(tiny, tmp.resolve("r3"), 5), CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(TINY, 1))).hasMessageContaining("2 tokens");
        ModelConfig small = ModelConfigJson.parse("{\"vocab_size\": 100, \"segment_length\": [4], "
                + "\"dilated_ratio\": [1], \"decoder_embed_dim\": 8, \"decoder_attention_heads\": 1, "
                + "\"decoder_layers\": 1, \"decoder_ffn_embed_dim\": 8}");
        assertThatThrownBy(() -> new Trainer(config(tiny, tmp.resolve("r4"), 5), CorpusTokenizer.bytes(), quiet())
                .run(ModelInit.random(small, 1))).hasMessageContaining(
                        "model vocab_size is 100 but its tokenizer bytes (longnet_tokenizer) needs vocab_size >= 257");
        assertThatThrownBy(() -> BatchGradient.compute(ModelInit.random(TINY, 1), new int[][] {{5}}, 0))
                .hasMessageContaining("at least 2 tokens");
    }

    private List<Double> losses(Path data, Path out) throws IOException {
        new Trainer(config(data, out, 30), CorpusTokenizer.bytes(), quiet()).run(ModelInit.random(TINY, 3));
        return trainLosses(out);
    }

    static List<Double> trainLosses(Path out) throws IOException {
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(out.resolve("train.jsonl"))) {
            JsonNode o = json.readTree(line);
            if (o.has("loss")) {
                losses.add(o.get("loss").asDouble());
            }
        }
        return losses;
    }

    private static double trainingLoss(ModelWeights weights, int[] sequence) {
        Parameters p = Parameters.of(weights);
        TrainingDecoder decoder = new TrainingDecoder(p, Parameters.zerosLike(p));
        int[] tokens = java.util.Arrays.copyOf(sequence, sequence.length - 1);
        int[] next = java.util.Arrays.copyOfRange(sequence, 1, sequence.length);
        return decoder.step(tokens, next, 0, decoder.newStreamState(), 0).sum() / tokens.length;
    }

    private static double inferenceLoss(ModelWeights weights, int[] sequence) {
        LongNetDecoder decoder = new LongNetDecoder(weights);
        int[] tokens = java.util.Arrays.copyOf(sequence, sequence.length - 1);
        DecoderOutput out = decoder.forward(tokens, decoder.newState(), true);
        INDArray logits = out.logits();
        double sum = 0;
        for (int p = 0; p < tokens.length; p++) {
            double[] row = logits.getRow(p).toDoubleVector();
            sum += RowOpsReference.crossEntropy(row, sequence[p + 1]);
        }
        return sum / tokens.length;
    }

    private static double unigramEntropyBits(Path data) throws IOException {
        long[] counts = new long[256];
        long total = 0;
        try (var files = Files.walk(data)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                for (byte b : Files.readAllBytes(f)) {
                    counts[b & 0xff]++;
                    total++;
                }
            }
        }
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = (double) c / total;
                h -= p * Math.log(p) / Math.log(2);
            }
        }
        return h;
    }

    static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
