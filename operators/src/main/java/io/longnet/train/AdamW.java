package io.longnet.train;

import io.longnet.model.WeightLayout;

/**
 * AdamW (Loshchilov and Hutter; PyTorch's torch.optim.AdamW): decoupled weight decay, bias-corrected moments, on
 * float32 master weights; the learning rate from {@link Schedule}, gradients clipped to a global norm first.
 * Weight decay applies to the matrices of the layers and the untied output projection, not to biases, norms or
 * the embedding, unless {@code decayAll}.
 */
public final class AdamW {

    /**
     * @param beta1, beta2 moment decay rates in [0, 1)
     * @param eps          added to sqrt(v-hat)
     * @param weightDecay  decoupled decay per unit of learning rate
     * @param clipNorm     global gradient norm bound; 0 or less for no clipping
     * @param decayAll     decay every tensor, biases, norms and embedding included
     */
    public record Config(double beta1, double beta2, double eps, double weightDecay, double clipNorm,
                         boolean decayAll) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
            }
            if (!(eps > 0)) {
                throw new IllegalArgumentException("adam eps must be positive, got " + eps);
            }
            if (!(weightDecay >= 0)) {
                throw new IllegalArgumentException("weight-decay must be >= 0, got " + weightDecay);
            }
        }
    }

    private final Config config;
    private final Parameters m;
    private final Parameters v;
    private long step;

    public AdamW(Config config, Parameters like) {
        this(config, Parameters.zerosLike(like), Parameters.zerosLike(like), 0);
    }

    /** Resumes with the moments and step count of a checkpoint. */
    public AdamW(Config config, Parameters m, Parameters v, long step) {
        this.config = config;
        this.m = m;
        this.v = v;
        this.step = step;
    }

    public Parameters firstMoments() {
        return m;
    }

    public Parameters secondMoments() {
        return v;
    }

    public long step() {
        return step;
    }

    /** Whether {@code name} is decayed: matrices of the layers and the output projection. */
    boolean decays(String name) {
        if (config.decayAll()) {
            return true;
        }
        boolean matrix = name.endsWith("_proj.weight") || name.endsWith("fc1.weight") || name.endsWith("fc2.weight");
        return matrix || name.equals(WeightLayout.OUTPUT);
    }

    /** sqrt of the sum of squares of every gradient entry. */
    public static double globalNorm(Parameters grads) {
        double sum = 0;
        for (String name : grads.names()) {
            for (float g : grads.get(name)) {
                sum += (double) g * g;
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * One update of {@code weights} with {@code grads} at learning rate lr: clips the gradients in place when
     * their global norm exceeds the bound (PyTorch's clip_grad_norm_: factor bound / (norm + 1e-6)).
     *
     * @return the global gradient norm before clipping
     */
    public double update(Parameters weights, Parameters grads, double lr) {
        double norm = globalNorm(grads);
        double clip = config.clipNorm() > 0 && norm > config.clipNorm() ? config.clipNorm() / (norm + 1e-6) : 1.0;
        step++;
        double correction1 = 1 - Math.pow(config.beta1(), step);
        double correction2 = 1 - Math.pow(config.beta2(), step);
        for (String name : weights.names()) {
            float[] p = weights.get(name);
            float[] g = grads.get(name);
            float[] m1 = m.get(name);
            float[] m2 = v.get(name);
            double decay = decays(name) ? lr * config.weightDecay() : 0;
            for (int i = 0; i < p.length; i++) {
                double grad = g[i] * clip;
                g[i] = (float) grad;
                double mi = config.beta1() * m1[i] + (1 - config.beta1()) * grad;
                double vi = config.beta2() * m2[i] + (1 - config.beta2()) * grad * grad;
                m1[i] = (float) mi;
                m2[i] = (float) vi;
                double w = p[i] * (1 - decay);
                w -= lr * (mi / correction1) / (Math.sqrt(vi / correction2) + config.eps());
                p[i] = (float) w;
            }
        }
        return norm;
    }

    /** Linear warm-up to the peak rate, then cosine decay to the floor at the last step. */
    public record Schedule(double peak, double floor, long warmupSteps, long totalSteps) {
        public Schedule {
            if (!(peak > 0) || !(floor >= 0) || floor > peak) {
                throw new IllegalArgumentException("learning rates need 0 <= min-lr <= lr and lr > 0, got lr " + peak
                        + ", min-lr " + floor);
            }
            if (warmupSteps < 0 || totalSteps < 1) {
                throw new IllegalArgumentException("warmup must be >= 0 and steps >= 1, got " + warmupSteps + ", "
                        + totalSteps);
            }
        }

        /** The rate of step s, counted from 1. */
        public double at(long s) {
            if (s <= warmupSteps) {
                return peak * s / warmupSteps;
            }
            if (totalSteps <= warmupSteps) {
                return peak;
            }
            double progress = Math.min(1.0, (double) (s - warmupSteps) / (totalSteps - warmupSteps));
            return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
        }
    }
}
