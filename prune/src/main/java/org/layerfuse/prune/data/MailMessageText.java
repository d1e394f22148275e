package org.layerfuse.prune.data;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.SharedByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;

/**
 * The readable part of one RFC 822 e-mail: its decoded Subject and its body text, without the
 * mail servers' headers (which would otherwise give the label away).
 *
 * <p>Body: the MIME tree is walked (Jakarta Mail / Angus); attachments are skipped,
 * {@code message/rfc822} parts are entered. If any {@code text/plain} part exists their texts
 * are joined, else the {@code text/html} parts converted to text (jsoup: tags, scripts and
 * styles dropped). A "plain" part that is really an HTML page is converted too.
 *
 * <p>Charsets: the message is given as a Java string (the corpus stores messages as JSON
 * strings, i.e. already decoded from UTF-8), so it is parsed from its UTF-8 bytes and parts
 * sent as 7bit/8bit/binary are read back as UTF-8 whatever charset they declare. Parts in
 * quoted-printable or base64 are decoded to bytes and then by their declared charset
 * (ISO-8859-1 and US-ASCII read as windows-1252, as browsers do; none declared: UTF-8 if
 * valid, else windows-1252). Whitespace is collapsed to single spaces.
 *
 * <p>A message the parser rejects, or in which it finds neither subject nor text, falls back to
 * the raw text after the first blank line (HTML stripped) and is flagged, so the caller can
 * count such messages.
 */
public final class MailMessageText {

    /** Subject and body of one message; {@code fallback} when MIME parsing failed and the raw body was used. */
    public record Extracted(String subject, String body, boolean fallback) {
        /** What a classifier sees: subject, a space, body (either may be empty). */
        public String text() {
            return subject.isEmpty() ? body : body.isEmpty() ? subject : subject + " " + body;
        }
    }

    private static final String STREAM_PROVIDER = "jakarta.mail.util.StreamProvider";
    private static final Session SESSION = Session.getInstance(lenientParsing());
    private static final Pattern LOOKS_LIKE_HTML = Pattern.compile("<\\s*(html|body|!doctype)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern SUBJECT_LINE = Pattern.compile("^Subject:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)",
            Pattern.MULTILINE | Pattern.CASE_INSENSITIVE);
    private static final Pattern BASE64_LINE = Pattern.compile("[A-Za-z0-9+/]+=*");
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    private static final char[] C1_AS_WINDOWS_1252 = c1AsWindows1252();
    private static final int MAX_DEPTH = 32;

    static {
        // jakarta.mail 2.1 looks its StreamProvider up through ServiceLoader for every header block it
        // parses (a third of the parse time here); naming the implementation ServiceLoader would find anyway
        // skips the class-path scan. An application's own choice is kept.
        if (System.getProperty(STREAM_PROVIDER) == null) {
            System.setProperty(STREAM_PROVIDER, "org.eclipse.angus.mail.util.MailStreamProvider");
        }
    }

    private MailMessageText() {
    }

    /** Session settings (the other leniency switches of Jakarta Mail are JVM-wide system properties, left alone). */
    private static Properties lenientParsing() {
        Properties p = new Properties();
        p.setProperty("mail.mime.allowutf8", "true");          // header bytes are UTF-8 here
        p.setProperty("mail.mime.address.strict", "false");
        return p;
    }

    /** Subject and body text of {@code message} (the whole RFC 822 text, headers included). */
    public static Extracted extract(String message) {
        String withoutEnvelope = stripMboxFromLine(message);
        try {
            MimeMessage mime = new MimeMessage(SESSION,
                    new SharedByteArrayInputStream(withoutEnvelope.getBytes(StandardCharsets.UTF_8)));
            String subject = collapse(subjectOf(mime));
            List<String> plain = new ArrayList<>();
            List<String> html = new ArrayList<>();
            collect(mime, plain, html, 0);
            String body = plain.isEmpty() ? htmlToText(String.join("\n", html)) : collapse(String.join("\n", plain));
            return subject.isEmpty() && body.isEmpty() ? fallback(withoutEnvelope) : new Extracted(subject, body, false);
        } catch (MessagingException | IOException | RuntimeException e) {
            return fallback(withoutEnvelope);
        }
    }

    /** The raw text after the first blank line (HTML stripped), with a Subject found by a plain header scan. */
    private static Extracted fallback(String text) {
        int blank = headerEnd(text);
        String headers = blank < 0 ? text : text.substring(0, blank);
        String body = blank < 0 ? "" : text.substring(blank);
        var m = SUBJECT_LINE.matcher(headers);
        String subject = "";
        if (m.find()) {
            try {
                subject = MimeUtility.decodeText(m.group(1));
            } catch (IOException | RuntimeException e) {
                subject = m.group(1);
            }
        }
        return new Extracted(collapse(subject), collapse(htmlToTextIfHtml(body)), true);
    }

    private static String subjectOf(MimeMessage mime) throws MessagingException {
        try {
            String subject = mime.getSubject();
            return subject == null ? "" : subject;
        } catch (MessagingException | RuntimeException e) {
            String raw = mime.getHeader("Subject", null);
            return raw == null ? "" : raw;
        }
    }

    private static void collect(Part part, List<String> plain, List<String> html, int depth)
            throws MessagingException, IOException {
        if (depth > MAX_DEPTH || isAttachment(part)) {
            return;
        }
        String type = baseType(part);
        if (type.startsWith("multipart/")) {
            if (part.getContent() instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    collect(child, plain, html, depth + 1);
                }
            }
        } else if (type.equals("message/rfc822")) {
            if (part.getContent() instanceof Part inner) {
                collect(inner, plain, html, depth + 1);
            }
        } else if (type.equals("text/plain")) {
            String text = decodedText(part);
            addIfNotBlank(LOOKS_LIKE_HTML.matcher(text).find() ? html : plain, text);
        } else if (type.equals("text/html")) {
            addIfNotBlank(html, decodedText(part));
        }
    }

    private static void addIfNotBlank(List<String> texts, String text) {
        if (!text.isBlank()) {
            texts.add(text);
        }
    }

    private static boolean isAttachment(Part part) {
        try {
            return Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition()) && part.getFileName() != null;
        } catch (MessagingException | RuntimeException e) {
            return false;
        }
    }

    /** Lower-case {@code type/subtype}; {@code text/plain} when absent or unparseable (RFC 2045 default). */
    private static String baseType(Part part) {
        try {
            String header = part.getContentType();
            return header == null ? "text/plain" : new ContentType(header).getBaseType().toLowerCase(Locale.ROOT);
        } catch (MessagingException | RuntimeException e) {
            return "text/plain";
        }
    }

    private static String decodedText(Part part) throws MessagingException, IOException {
        String encoding = part instanceof MimeBodyPart body ? body.getEncoding()
                : part instanceof MimeMessage message ? message.getEncoding() : null;
        encoding = encoding == null ? "7bit" : encoding.trim().toLowerCase(Locale.ROOT);
        if (encoding.equals("base64")) {
            return decode(lenientBase64(rawBytes(part)), charsetOf(part));
        }
        if (encoding.equals("quoted-printable") || encoding.startsWith("x-uue")
                || encoding.equals("uuencode")) {
            byte[] bytes;
            try (InputStream in = part.getInputStream()) {
                bytes = in.readAllBytes();
            }
            return decode(bytes, charsetOf(part));
        }
        // Unencoded parts are the string's own characters: read the UTF-8 bytes back as UTF-8.
        return new String(rawBytes(part), StandardCharsets.UTF_8);
    }

    /** The part's body before transfer decoding. */
    private static byte[] rawBytes(Part part) throws MessagingException, IOException {
        InputStream raw = part instanceof MimeBodyPart body ? body.getRawInputStream()
                : part instanceof MimeMessage message ? message.getRawInputStream() : part.getInputStream();
        try (raw) {
            return raw.readAllBytes();
        }
    }

    /**
     * Base64 as found in spam: the leading lines made only of base64 characters are decoded
     * (JDK decoder, padding optional); decoding stops at the first other non-blank line, e.g. a
     * mailing-list footer appended to the encoded body, and a dangling last character is dropped.
     */
    private static byte[] lenientBase64(byte[] raw) {
        StringBuilder data = new StringBuilder(raw.length);
        for (String line : new String(raw, StandardCharsets.ISO_8859_1).split("\r?\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            if (!BASE64_LINE.matcher(trimmed).matches()) {
                break;
            }
            data.append(trimmed);
        }
        int end = data.indexOf("=");
        if (end >= 0) {
            data.setLength(end);
        }
        if (data.length() % 4 == 1) {
            data.setLength(data.length() - 1);
        }
        return Base64.getDecoder().decode(data.toString());
    }

    private static Charset charsetOf(Part part) {
        try {
            String name = new ContentType(part.getContentType()).getParameter("charset");
            if (name == null || name.isBlank()) {
                return null;
            }
            Charset charset = Charset.forName(MimeUtility.javaCharset(name.trim()));
            return charset.equals(StandardCharsets.ISO_8859_1) || charset.equals(StandardCharsets.US_ASCII)
                    ? WINDOWS_1252 : charset;
        } catch (MessagingException | RuntimeException e) {
            return WINDOWS_1252; // unknown or malformed charset: the commonest 8-bit one of the time
        }
    }

    private static String decode(byte[] bytes, Charset charset) {
        if (charset != null) {
            return new String(bytes, charset);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, WINDOWS_1252);
        }
    }

    private static String htmlToTextIfHtml(String text) {
        return LOOKS_LIKE_HTML.matcher(text).find() ? htmlToText(text) : text;
    }

    /** Visible text of an HTML document (jsoup drops tags, comments, scripts and styles), whitespace collapsed. */
    private static String htmlToText(String html) {
        return collapse(Jsoup.parse(html).text());
    }

    /** Drops an mbox envelope line ({@code From sender date}) that precedes the headers. */
    private static String stripMboxFromLine(String message) {
        if (message.startsWith("From ")) {
            int eol = message.indexOf('\n');
            return eol < 0 ? "" : message.substring(eol + 1);
        }
        return message;
    }

    /** Index just after the first empty line, or -1. */
    private static int headerEnd(String text) {
        if (text.startsWith("\n")) {
            return 1;
        }
        if (text.startsWith("\r\n")) {
            return 2;
        }
        int lf = text.indexOf("\n\n");
        int crlf = text.indexOf("\r\n\r\n");
        if (lf < 0 && crlf < 0) {
            return -1;
        }
        if (crlf < 0 || (lf >= 0 && lf < crlf)) {
            return lf + 2;
        }
        return crlf + 4;
    }

    /**
     * Runs of whitespace and control characters (Unicode spaces and no-break spaces included) become
     * one space; ends trimmed. C1 controls U+0080–U+009F, which appear when windows-1252 text is
     * labelled ISO-8859-1 (a 0x99 meant as ™), are read as windows-1252.
     */
    static String collapse(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        boolean space = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                c = C1_AS_WINDOWS_1252[c - 0x80];
            }
            boolean isSpace = c < 128 ? c <= ' ' || c == 0x7F
                    : Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)
                    || c == '\uFEFF' || c == '\u200B';
            if (isSpace) {
                space = sb.length() > 0;
            } else {
                if (space) {
                    sb.append(' ');
                    space = false;
                }
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Bytes 0x80–0x9F in windows-1252; its five unassigned bytes stay C1 controls (then collapsed as space). */
    private static char[] c1AsWindows1252() {
        char[] table = new char[32];
        for (int i = 0; i < 32; i++) {
            String s = new String(new byte[] {(byte) (0x80 + i)}, WINDOWS_1252);
            table[i] = s.length() == 1 && s.charAt(0) != '\uFFFD' ? s.charAt(0) : (char) (0x80 + i);
        }
        return table;
    }
}
