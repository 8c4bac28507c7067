package io.longnet.cli;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} flags of one subcommand; unknown flags and missing values are errors naming the flag. */
public final class Args {

    private final String command;
    private final Map<String, String> values = new HashMap<>();

    public Args(String command, List<String> args, Set<String> known) {
        this.command = command;
        for (int i = 0; i < args.size(); i++) {
            String flag = args.get(i);
            if (!flag.startsWith("--") || !known.contains(flag.substring(2))) {
                throw new UsageException(command + ": unknown argument " + flag + " (expected one of --"
                        + String.join(", --", known.stream().sorted().toList()) + ")");
            }
            if (i + 1 >= args.size()) {
                throw new UsageException(command + ": " + flag + " needs a value");
            }
            values.put(flag.substring(2), args.get(++i));
        }
    }

    public String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v;
    }

    public String optional(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public long longValue(String name, long fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got \"" + v + "\"");
        }
    }

    public double doubleValue(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be a number, got \"" + v + "\"");
        }
    }

    public int positiveInt(String name, int fallback) {
        long v = longValue(name, fallback);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new UsageException(command + ": --" + name + " must be a positive integer, got " + v);
        }
        return (int) v;
    }

    /** A command-line mistake: reported as one line, exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
