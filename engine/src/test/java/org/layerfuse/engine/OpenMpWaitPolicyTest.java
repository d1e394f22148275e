package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OpenMpWaitPolicyTest {

    @Test
    void propertyValues() {
        assertEquals("PASSIVE", OpenMpWaitPolicy.requested(null), "default");
        assertEquals(OpenMpWaitPolicy.DEFAULT, "passive");
        assertEquals("PASSIVE", OpenMpWaitPolicy.requested("passive"));
        assertEquals("ACTIVE", OpenMpWaitPolicy.requested(" Active "));
        assertNull(OpenMpWaitPolicy.requested("default"));
        assertThrows(IllegalArgumentException.class, () -> OpenMpWaitPolicy.requested("spin"));
    }

    /**
     * After ND4J has started, libgomp has read the policy: the environment holds what Backend
     * reported (unless the environment chose, or OpenMP was loaded too early to apply it).
     */
    @Test
    void backendAppliesThePolicyBeforeOpenMpLoads() {
        Backend.Info info = Backend.init();
        assertTrue(OpenMpWaitPolicy.openMpLoaded() || !System.getProperty("os.name").startsWith("Linux"),
                "libgomp is mapped once ND4J runs");
        String policy = info.ompWaitPolicy();
        if (policy.equals("PASSIVE") || policy.equals("ACTIVE")) {
            assertEquals(policy, OpenMpWaitPolicy.nativeGetenv(OpenMpWaitPolicy.ENV));
            assertEquals(OpenMpWaitPolicy.requested(System.getProperty(OpenMpWaitPolicy.PROPERTY)), policy);
            // Applying again finds the value in the environment and leaves it.
            assertEquals(policy + " (environment)", OpenMpWaitPolicy.apply());
        }
    }
}
