package org.layerfuse.weights.tf;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The masked CRC32C that LevelDB tables and TensorFlow checkpoints store:
 * {@code mask(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8}. Masking keeps the CRC of a string
 * that itself holds CRCs from being trivially related to them.
 */
public final class MaskedCrc32c {

    private static final int MASK_DELTA = 0xa282ead8;

    private MaskedCrc32c() {
    }

    public static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
    }

    /** The masked CRC32C of the buffer's remaining bytes; its position is left unchanged. */
    public static int of(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes.duplicate());
        return mask((int) crc.getValue());
    }
}
