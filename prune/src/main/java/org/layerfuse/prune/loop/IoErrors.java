package org.layerfuse.prune.loop;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** Says why a file operation failed in words a user can act on ("permission denied", "no space left"). */
final class IoErrors {

    private IoErrors() {
    }

    static String describe(java.io.IOException e) {
        if (e instanceof AccessDeniedException a) {
            return "permission denied (" + a.getFile() + "; a read-only location?)";
        }
        if (e instanceof NoSuchFileException n) {
            return "no such file or directory: " + n.getFile();
        }
        if (e instanceof NotDirectoryException n) {
            return "not a directory: " + n.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason() + (f.getFile() != null ? " (" + f.getFile() + ")" : "");
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
