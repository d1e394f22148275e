package org.layerfuse.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteCountTest {

    @Test
    void suffixesArePowersOf1024() {
        assertEquals(65536, ByteCount.parse("65536"));
        assertEquals(4096, ByteCount.parse("4k"));
        assertEquals(512L << 20, ByteCount.parse(" 512M "));
        assertEquals(2L << 30, ByteCount.parse("2g"));
        assertEquals(0, ByteCount.parse("0"));
    }

    @Test
    void refusesWhatIsNotANonNegativeCount() {
        for (String bad : new String[] {null, "", "m", "lots", "-1m", "1.5g", "99999999999g"}) {
            assertThrows(NumberFormatException.class, () -> ByteCount.parse(bad), "'" + bad + "'");
        }
    }
}
