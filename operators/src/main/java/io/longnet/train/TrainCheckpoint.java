package io.longnet.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.longnet.attention.AttentionState;
import io.longnet.io.NamedTensor;
import io.longnet.io.SafetensorsFile;
import io.longnet.io.SafetensorsWriter;
import io.longnet.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A training checkpoint, format 1: a directory {@code checkpoints/step-NNNNNNNN/} under the run directory with
 * {@code weights.safetensors}, {@code adam-m.safetensors}, {@code adam-v.safetensors} (F32, torchscale names),
 * {@code lanes.safetensors} (each lane's kept rows: {@code lane.L.layer.I.pair.J.keys|values} [rows, D], pair
 * J = branch * H + head, keys rotated and unscaled) and {@code state.json} (step, tokens, data position, the
 * lanes' packages and positions). {@code COMPLETE} is written last, after every file is synced: a directory
 * without it (a kill while writing) is ignored and the previous checkpoint loads. Older ones are deleted once a
 * newer one is complete.
 */
final class TrainCheckpoint {

    static final int FORMAT = 1;
    private static final String COMPLETE = "COMPLETE";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a checkpoint restores. */
    record Loaded(long step, long tokens, long nextDeal, Parameters weights, Parameters m, Parameters v,
                  List<LaneState> lanes) {
    }

    /** One lane: its deal index, package, position and kept rows per layer and (branch, head) pair. */
    record LaneState(long dealt, String packageName, int position, float[][][] keys, float[][][] values) {
    }

    /**
     * What decides the data a resumed run sees: a checkpoint resumes only a run with the same seed, held-out
     * prefixes, file endings, number of training packages and lanes.
     */
    /**
     * What a checkpoint may only be resumed with. {@code model} is the model's config.json (canonical form, tokenizer
     * included): the weights of another architecture can have the same shapes (xPos on or off, another (w, r)
     * schedule) and would load without complaint. Checkpoints written before it was recorded have none and resume
     * unchecked.
     */
    record RunIdentity(long seed, List<String> heldOut, List<String> extensions, int trainPackages, int lanes,
                       String model) {
        void writeTo(ObjectNode o) {
            o.put("seed", seed);
            o.putPOJO("held_out", heldOut);
            o.putPOJO("extensions", extensions);
            o.put("train_packages", trainPackages);
            o.put("lanes", lanes);
            o.put("model", model);
        }

        static RunIdentity readFrom(JsonNode o) {
            List<String> held = new ArrayList<>();
            o.get("held_out").forEach(n -> held.add(n.asText()));
            List<String> ext = new ArrayList<>();
            o.get("extensions").forEach(n -> ext.add(n.asText()));
            return new RunIdentity(o.get("seed").asLong(), held, ext, o.get("train_packages").asInt(),
                    o.get("lanes").asInt(), o.hasNonNull("model") ? o.get("model").asText() : null);
        }

        /** Whether a run with this identity may resume a checkpoint of {@code saved}. */
        boolean canResume(RunIdentity saved) {
            return seed == saved.seed && heldOut.equals(saved.heldOut) && extensions.equals(saved.extensions)
                    && trainPackages == saved.trainPackages && lanes == saved.lanes
                    && (saved.model == null || model.equals(saved.model));
        }
    }

    private TrainCheckpoint() {
    }

    static Path directory(Path out) {
        return out.resolve("checkpoints");
    }

    static void write(Path out, long step, long tokens, Lanes lanes, Parameters weights, AdamW adam,
                      RunIdentity identity) throws IOException {
        Path root = directory(out);
        Files.createDirectories(root);
        Path dir = root.resolve(String.format("step-%08d", step));
        if (Files.exists(dir)) {
            deleteTree(dir);
        }
        Files.createDirectories(dir);
        writeParameters(dir.resolve("weights.safetensors"), weights);
        writeParameters(dir.resolve("adam-m.safetensors"), adam.firstMoments());
        writeParameters(dir.resolve("adam-v.safetensors"), adam.secondMoments());
        List<NamedTensor> rows = new ArrayList<>();
        ObjectNode state = JSON.createObjectNode();
        state.put("format", FORMAT);
        state.put("step", step);
        state.put("tokens", tokens);
        state.put("next_deal", lanes.nextDeal);
        identity.writeTo(state.putObject("run"));
        ArrayNode laneArray = state.putArray("lanes");
        int d = weights.config().headDim();
        for (int l = 0; l < lanes.lanes().size(); l++) {
            Lanes.Lane lane = lanes.lanes().get(l);
            ObjectNode o = laneArray.addObject();
            o.put("dealt", lane.dealt);
            o.put("package", lane.pkg.name());
            o.put("position", lane.position);
            for (int layer = 0; layer < lane.states.length; layer++) {
                AttentionState.KeptRows kept = lane.states[layer].copyKept();
                for (int pair = 0; pair < kept.keys().length; pair++) {
                    String prefix = "lane." + l + ".layer." + layer + ".pair." + pair + ".";
                    long n = kept.keys()[pair].length / d;
                    if (n > 0) {
                        rows.add(NamedTensor.f32(prefix + "keys", kept.keys()[pair], n, d));
                        rows.add(NamedTensor.f32(prefix + "values", kept.values()[pair], n, d));
                    }
                }
            }
        }
        SafetensorsWriter.write(dir.resolve("lanes.safetensors"), rows, Map.of("format", "longnet-train-lanes-1"));
        Files.writeString(dir.resolve("state.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                sync(f);
            }
        }
        Files.writeString(dir.resolve(COMPLETE), "step " + step + "\n");
        sync(dir.resolve(COMPLETE));
        sync(dir);
        sync(root); // the new directory's entry is durable before the older ones go
        try (Stream<Path> old = Files.list(root)) {
            for (Path p : old.filter(p -> !p.equals(dir)).toList()) {
                deleteTree(p);
            }
        }
    }

    /** The newest complete checkpoint of a run directory, if any; refused when it is another run's. */
    static Optional<Loaded> latest(Path out, ModelConfig config, RunIdentity identity) throws IOException {
        Path root = directory(out);
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        List<Path> complete;
        try (Stream<Path> dirs = Files.list(root)) {
            complete = dirs.filter(p -> Files.isRegularFile(p.resolve(COMPLETE)))
                    .sorted(Comparator.comparingLong(TrainCheckpoint::stepOf)).toList();
        }
        if (complete.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(read(complete.get(complete.size() - 1), config, identity));
    }

    private static long stepOf(Path dir) {
        return Long.parseLong(dir.getFileName().toString().substring("step-".length()));
    }

    private static Loaded read(Path dir, ModelConfig config, RunIdentity identity) throws IOException {
        JsonNode state = JSON.readTree(dir.resolve("state.json").toFile());
        if (state.get("format").asInt() != FORMAT) {
            throw new IllegalArgumentException("checkpoint " + dir + " has format " + state.get("format")
                    + "; this build reads format " + FORMAT);
        }
        RunIdentity saved = RunIdentity.readFrom(state.get("run"));
        if (saved.model != null && !saved.model.equals(identity.model)) {
            throw new IllegalArgumentException("checkpoint " + dir + " is of the model " + saved.model
                    + ", not of the model being trained, " + identity.model + ": resume with the same --config, or "
                    + "give another --out");
        }
        if (!identity.canResume(saved)) {
            throw new IllegalArgumentException("checkpoint " + dir + " belongs to a run with " + saved + ", not "
                    + identity + ": resume with the same --seed, --held-out, --extensions, --data and --batch, or "
                    + "give another --out");
        }
        JsonNode lanes = state.get("lanes");
        Parameters like = Parameters.of(io.longnet.model.ModelWeights.load(config, dir.resolve("weights.safetensors")));
        Parameters m = readInto(Parameters.zerosLike(like), dir.resolve("adam-m.safetensors"));
        Parameters v = readInto(Parameters.zerosLike(like), dir.resolve("adam-v.safetensors"));
        int pairs = config.schedule().size() * config.heads();
        List<LaneState> laneStates = new ArrayList<>();
        try (SafetensorsFile rows = SafetensorsFile.open(dir.resolve("lanes.safetensors"))) {
            for (int l = 0; l < lanes.size(); l++) {
                float[][][] keys = new float[config.layers()][pairs][];
                float[][][] values = new float[config.layers()][pairs][];
                for (int layer = 0; layer < config.layers(); layer++) {
                    for (int pair = 0; pair < pairs; pair++) {
                        String prefix = "lane." + l + ".layer." + layer + ".pair." + pair + ".";
                        boolean has = rows.tensors().containsKey(prefix + "keys");
                        keys[layer][pair] = has ? rows.readFloats(prefix + "keys") : new float[0];
                        values[layer][pair] = has ? rows.readFloats(prefix + "values") : new float[0];
                    }
                }
                JsonNode lane = lanes.get(l);
                laneStates.add(new LaneState(lane.get("dealt").asLong(), lane.get("package").asText(),
                        lane.get("position").asInt(), keys, values));
            }
        }
        return new Loaded(state.get("step").asLong(), state.get("tokens").asLong(), state.get("next_deal").asLong(),
                like, m, v, laneStates);
    }

    private static void writeParameters(Path file, Parameters p) throws IOException {
        List<NamedTensor> tensors = new ArrayList<>();
        var layout = io.longnet.model.WeightLayout.of(p.config()).shapes();
        for (String name : p.names()) {
            tensors.add(NamedTensor.f32(name, p.get(name), layout.get(name)));
        }
        if (p.config().xpos()) {
            for (int l = 0; l < p.config().layers(); l++) {
                String name = TrainingDecoder.name(l, "self_attn.xpos.scale");
                tensors.add(NamedTensor.f32(name, p.buffer(name), layout.get(name)));
            }
        }
        SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
    }

    private static Parameters readInto(Parameters target, Path file) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (String name : target.names()) {
                float[] values = st.readFloats(name);
                System.arraycopy(values, 0, target.get(name), 0, values.length);
            }
        }
        return target;
    }

    private static void sync(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync " + p, e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        Files.deleteIfExists(p.resolve(COMPLETE)); // first: a half-deleted checkpoint must not look complete
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
