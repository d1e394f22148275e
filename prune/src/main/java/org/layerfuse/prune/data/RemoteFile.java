package org.layerfuse.prune.data;

import java.net.URI;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A file to fetch once and keep: its name in the cache, where it comes from, and the checksums
 * it must have — {@code sha1} as 40 hex digits (npm's {@code dist.shasum}) and {@code integrity}
 * as a Subresource-Integrity string {@code sha512-<base64>} (npm's {@code dist.integrity}).
 */
public record RemoteFile(String fileName, URI uri, String sha1, String integrity) {

    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SRI_SHA512 = Pattern.compile("sha512-[A-Za-z0-9+/]{86}==");

    public RemoteFile {
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(uri, "uri");
        if (fileName.isBlank() || fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw new IllegalArgumentException("remote file name must be a plain file name, got '" + fileName + "'");
        }
        if (sha1 == null || !SHA1.matcher(sha1).matches()) {
            throw new IllegalArgumentException(fileName + ": sha1 must be 40 lower-case hex digits, got '" + sha1 + "'");
        }
        if (integrity == null || !SRI_SHA512.matcher(integrity).matches()) {
            throw new IllegalArgumentException(fileName + ": integrity must be 'sha512-' + 88 base64 characters, got '"
                    + integrity + "'");
        }
    }

    /** The expected SHA-512 as base64 (the part after {@code sha512-}). */
    public String sha512Base64() {
        return integrity.substring("sha512-".length());
    }
}
