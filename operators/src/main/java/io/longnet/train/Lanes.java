package io.longnet.train;

import io.longnet.attention.AttentionState;
import io.longnet.text.CorpusTokenizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The training streams: {@code batch} lanes, each working through one package's stream chunk by chunk with its
 * attention states, then taking the next package of the deal. The deal is the training packages shuffled per
 * epoch by (seed, epoch), so the data order follows from the seed and a count alone.
 */
final class Lanes {

    /** One lane: the package it streams (its index in the deal), its position, its states. */
    static final class Lane {
        long dealt;
        Corpus.Package pkg;
        int[] tokens;
        int position;
        AttentionState[] states;
    }

    /**
     * A chunk cut from a lane: tokens, next-token targets (-1: none), stream position of its first token, and the
     * attention states of its stream (held here: the lane may move on to its next package before the chunk runs).
     */
    record Chunk(int[] tokens, int[] targets, long first, AttentionState[] states) {
        long targetCount() {
            long n = 0;
            for (int t : targets) {
                n += t >= 0 ? 1 : 0;
            }
            return n;
        }
    }

    private final Corpus corpus;
    private final List<Corpus.Package> packages;
    private final CorpusTokenizer tokenizer;
    private final TrainingDecoder decoder;
    private final long seed;
    private final List<Lane> lanes = new ArrayList<>();
    long nextDeal;

    Lanes(Corpus corpus, List<Corpus.Package> packages, CorpusTokenizer tokenizer, TrainingDecoder decoder,
          long seed, int batch) {
        if (packages.isEmpty()) {
            throw new IllegalArgumentException("--data " + corpus.path() + " has no package left to train on");
        }
        this.corpus = corpus;
        this.packages = packages;
        this.tokenizer = tokenizer;
        this.decoder = decoder;
        this.seed = seed;
        for (int i = 0; i < batch; i++) {
            lanes.add(new Lane());
        }
    }

    List<Lane> lanes() {
        return lanes;
    }

    /** Every lane starts on its next package from position 0. */
    void startFresh() {
        for (Lane lane : lanes) {
            advance(lane);
        }
    }

    /** A lane resumed at package deal index {@code dealt}, position {@code position}, with its states. */
    void resume(Lane lane, long dealt, int position, AttentionState[] states) {
        lane.dealt = dealt;
        lane.pkg = packageAt(dealt);
        lane.tokens = corpus.tokens(lane.pkg, tokenizer);
        lane.position = position;
        lane.states = states;
    }

    /** The next chunk of up to {@code size} tokens of the lane, moving on to the next package when it is done. */
    Chunk next(Lane lane, int size) {
        for (int skipped = 0; lane.tokens.length - lane.position < 2; skipped++) {
            if (skipped > packages.size()) {
                throw new IllegalArgumentException("--data " + corpus.path() + ": no training package has the 2 "
                        + "tokens a next-token target needs");
            }
            advance(lane); // a stream's last token has no target: never a chunk of its own
        }
        int from = lane.position;
        int to = Math.min(lane.tokens.length, from + size);
        int[] tokens = java.util.Arrays.copyOfRange(lane.tokens, from, to);
        int[] targets = new int[to - from];
        for (int p = from; p < to; p++) {
            targets[p - from] = p + 1 < lane.tokens.length ? lane.tokens[p + 1] : -1;
        }
        lane.position = to;
        return new Chunk(tokens, targets, from, lane.states);
    }

    private void advance(Lane lane) {
        lane.dealt = nextDeal++;
        lane.pkg = packageAt(lane.dealt);
        lane.tokens = corpus.tokens(lane.pkg, tokenizer);
        lane.position = 0;
        lane.states = decoder.newStreamState();
    }

    /** The package at deal index i: epoch i / P shuffles the packages with (seed, epoch). */
    Corpus.Package packageAt(long i) {
        long epoch = i / packages.size();
        List<Corpus.Package> order = new ArrayList<>(packages);
        Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        return order.get((int) (i % packages.size()));
    }
}
