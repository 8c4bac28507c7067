package io.longnet.decoder;

import io.longnet.model.ModelConfig;
import io.longnet.model.ModelConfigJson;
import io.longnet.model.ModelInit;
import java.util.Random;

/**
 * Compiles the decoder's Java code (row passes, their vector kernels, the thread hand-offs), once per JVM,
 * before a stream's first chunk needs it, as {@code DilatedAttention.warmUp} does for the kernel: until the
 * JIT's optimising compiler has intrinsified the Vector API calls they run tens of times slower. A model of
 * one layer at E = 256 runs a few 256-token chunks per activation, large enough that the row passes split
 * across threads, small enough that the arithmetic is negligible: with the kernel's warm-up it took 2.1-2.4 s
 * on the 2-core bench machine, nearly all of it the compiler's, which the first chunk would pay otherwise.
 */
final class DecoderWarmUp {

    private static final int PASSES = 12;
    private static final int TOKENS = 256;

    private DecoderWarmUp() {
    }

    /** Runs the warm-up the first time it is called in this JVM; later calls return at once. */
    static void run() {
        Holder.touch();
    }

    private static final class Holder {
        static {
            warmUp();
        }

        static void touch() {
            // class initialisation above does the work; a call from inside it (the tiny decoders' own
            // constructors) finds the class already being initialised by this thread and returns
        }

        private static void warmUp() {
            for (String activation : new String[] {"gelu", "relu", "swish"}) {
                ModelConfig c = ModelConfigJson.parse("{\"vocab_size\": 64, \"decoder_embed_dim\": 256, "
                        + "\"decoder_attention_heads\": 4, \"decoder_ffn_embed_dim\": 512, \"decoder_layers\": 1, "
                        + "\"segment_length\": [128, 256], \"dilated_ratio\": [1, 2], \"activation_fn\": \""
                        + activation + "\"}");
                LongNetDecoder decoder = new LongNetDecoder(ModelInit.random(c, 1));
                int[] tokens = new Random(1).ints(TOKENS, 0, c.vocabSize()).toArray();
                int passes = activation.equals("gelu") ? PASSES : PASSES / 3; // GELU is the default
                for (int pass = 0; pass < passes; pass++) {
                    decoder.forward(tokens, decoder.newState(), pass % 2 == 0);
                }
            }
        }
    }
}
