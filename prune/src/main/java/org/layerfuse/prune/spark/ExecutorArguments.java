package org.layerfuse.prune.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The study's command line as executors must read it: an executor's working directory is
 * not the driver's, so {@code --out} and any local model folder or data file become
 * absolute paths (which must then be visible to the executors: a shared file system).
 */
final class ExecutorArguments {

    private static final Set<String> PATH_OPTIONS = Set.of("--model", "--data");

    private ExecutorArguments() {
    }

    static List<String> absolute(List<String> arguments, Path out) {
        List<String> result = new ArrayList<>();
        for (int i = 0; i < arguments.size(); i++) {
            String a = arguments.get(i);
            int eq = a.indexOf('=');
            String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
            boolean inline = eq > 0 && a.startsWith("--");
            if (name.equals("--out") || PATH_OPTIONS.contains(name)) {
                String value = inline ? a.substring(eq + 1) : i + 1 < arguments.size() ? arguments.get(++i) : "";
                String fixed = name.equals("--out") ? out.toString() : localPaths(value);
                result.add(name);
                result.add(fixed);
            } else {
                result.add(a);
            }
        }
        if (!result.contains("--out")) {
            result.add("--out");
            result.add(out.toString());
        }
        return result;
    }

    /** Each comma-separated value that names an existing local path, made absolute; names stay as they are. */
    private static String localPaths(String value) {
        List<String> parts = new ArrayList<>();
        for (String v : value.split(",", -1)) {
            parts.add(!v.isEmpty() && Files.exists(Path.of(v)) ? Path.of(v).toAbsolutePath().normalize().toString() : v);
        }
        return String.join(",", parts);
    }
}
