package org.layerfuse.engine;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/** Functions of the C library through JNA, for the few calls Java has no API for. */
public final class LibC {

    private LibC() {
    }

    /** The C library's function {@code name}, or null where it or JNA is not there. */
    public static Function function(String name) {
        try {
            return NativeLibrary.getInstance("c").getFunction(name);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }
}
