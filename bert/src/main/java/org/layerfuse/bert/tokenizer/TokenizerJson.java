package org.layerfuse.bert.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Hugging Face tokenizers {@code tokenizer.json} describing a BERT WordPiece tokenizer:
 * <ul>
 *   <li>{@code model}: {@code type} WordPiece, {@code vocab} (token → id, ids 0..n-1),
 *       {@code unk_token}, {@code continuing_subword_prefix}, {@code max_input_chars_per_word};</li>
 *   <li>{@code normalizer}: {@code BertNormalizer} {clean_text, handle_chinese_chars, strip_accents
 *       (null: follows lowercase), lowercase}, a {@code Sequence} of one BertNormalizer or of
 *       {@code Lowercase} / {@code NFD}+{@code StripAccents}, or null;</li>
 *   <li>{@code pre_tokenizer}: {@code BertPreTokenizer};</li>
 *   <li>{@code post_processor}: {@code BertProcessing}, or {@code TemplateProcessing} with BERT's
 *       templates {@code [CLS] $A [SEP]} and {@code [CLS] $A [SEP] $B:1 [SEP]:1};</li>
 *   <li>{@code added_tokens} (matched whole; ids as Hugging Face assigns them: the model's id, else
 *       the next id after the vocabulary), {@code padding.pad_token}, {@code truncation.max_length}.</li>
 * </ul>
 * Anything else is refused with an error naming the file and what was expected.
 */
final class TokenizerJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static WordPieceTokenizer read(Path file) throws IOException {
        return new TokenizerJson(file).parse();
    }

    private WordPieceTokenizer parse() throws IOException {
        JsonNode root;
        byte[] bytes = Files.readAllBytes(file);
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw fail("is not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            // Jackson reports undecodable bytes (e.g. a UTF-32 guess gone wrong) as a CharConversionException,
            // which is an IOException but not a JsonProcessingException (found by fuzzing).
            throw fail("is not valid JSON text (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw fail("is not a JSON object; expected a Hugging Face tokenizer.json");
        }
        JsonNode model = root.path("model");
        String type = model.path("type").asText(null);
        if (!"WordPiece".equals(type)) {
            throw fail("has model.type " + type + "; expected WordPiece (a BERT tokenizer)");
        }
        List<String> tokens = modelVocab(model.path("vocab"));
        int modelSize = tokens.size();

        Set<String> known = new HashSet<>(tokens);
        List<AddedToken> added = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText("");
            if (content.isEmpty()) {
                throw fail("has an added token without content; expected {\"content\": ..., \"id\": ...}");
            }
            if (t.path("single_word").asBoolean(false)) {
                throw fail("added token " + content + " has single_word=true, which is not supported");
            }
            added.add(new AddedToken(content, t.path("special").asBoolean(false),
                    t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
            if (known.add(content)) {
                tokens.add(content);
            }
        }

        Normalization norm = normalizer(root.path("normalizer"));
        preTokenizer(root.path("pre_tokenizer"));
        String[] clsSep = postProcessor(root.path("post_processor"), tokens);
        String unk = text(model, "unk_token", "[UNK]");
        String prefix = text(model, "continuing_subword_prefix", "##");
        int maxChars = model.path("max_input_chars_per_word").asInt(100);
        String pad = text(root.path("padding"), "pad_token", "[PAD]");
        int maxLength = root.path("truncation").path("max_length").asInt(512);
        TokenizerOptions options;
        try {
            options = new TokenizerOptions(norm.cleanText(), norm.handleChineseChars(), norm.lowerCase(),
                    norm.stripAccents(), prefix, maxChars, unk, clsSep[0],
                    clsSep[1], pad, "[MASK]", maxLength);
        } catch (IllegalArgumentException e) {
            throw fail("has unusable settings: " + e.getMessage());
        }
        return new WordPieceTokenizer("tokenizer file " + file, new Vocabulary(tokens), modelSize, options, added);
    }

    /** The vocab map as a list indexed by id; the ids must be exactly 0..n-1. */
    private List<String> modelVocab(JsonNode vocab) {
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw fail("has no model.vocab; expected a non-empty object of token -> id");
        }
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode idNode = e.getValue();
            int id = idNode.isIntegralNumber() ? idNode.asInt() : -1;
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw fail("has model.vocab id " + idNode + " for token " + e.getKey() + "; expected each id 0.."
                        + (byId.length - 1) + " exactly once");
            }
            byId[id] = e.getKey();
        }
        return new ArrayList<>(Arrays.asList(byId));
    }

    /** The normalizer's switches, in the order Hugging Face applies them. */
    private record Normalization(boolean cleanText, boolean handleChineseChars, boolean stripAccents,
                                 boolean lowerCase) {
    }

    private Normalization normalizer(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) {
            return new Normalization(false, false, false, false);
        }
        String type = n.path("type").asText(null);
        if ("BertNormalizer".equals(type)) {
            boolean lower = n.path("lowercase").asBoolean(true);
            JsonNode strip = n.path("strip_accents");
            return new Normalization(n.path("clean_text").asBoolean(true),
                    n.path("handle_chinese_chars").asBoolean(true), strip.isBoolean() ? strip.asBoolean() : lower,
                    lower);
        }
        if ("Sequence".equals(type)) {
            JsonNode items = n.path("normalizers");
            if (items.size() == 1 && "BertNormalizer".equals(items.get(0).path("type").asText(null))) {
                return normalizer(items.get(0));
            }
            boolean lower = false;
            boolean nfd = false;
            boolean strip = false;
            for (JsonNode item : items) {
                switch (item.path("type").asText("")) {
                    case "Lowercase" -> lower = true;
                    case "NFD" -> nfd = true;
                    case "StripAccents" -> {
                        if (!nfd) {
                            throw unsupportedNormalizer();
                        }
                        strip = true;
                    }
                    default -> throw unsupportedNormalizer();
                }
            }
            if (nfd != strip) {
                throw unsupportedNormalizer();
            }
            return new Normalization(false, false, strip, lower);
        }
        throw unsupportedNormalizer();
    }

    private IllegalArgumentException unsupportedNormalizer() {
        return fail("has a normalizer this tokenizer cannot reproduce; expected BertNormalizer, or a Sequence of "
                + "one BertNormalizer or of Lowercase and NFD followed by StripAccents");
    }

    private void preTokenizer(JsonNode p) {
        String type = p.path("type").asText(null);
        if ("Sequence".equals(type) && p.path("pretokenizers").size() == 1) {
            type = p.path("pretokenizers").get(0).path("type").asText(null);
        }
        if (!"BertPreTokenizer".equals(type)) {
            throw fail("has pre_tokenizer " + type + "; expected BertPreTokenizer");
        }
    }

    /** {cls, sep} names, after checking the post-processor frames inputs as BERT does. */
    private String[] postProcessor(JsonNode p, List<String> tokens) {
        String type = p.path("type").asText(null);
        String cls;
        String sep;
        if ("BertProcessing".equals(type)) {
            cls = p.path("cls").path(0).asText(null);
            sep = p.path("sep").path(0).asText(null);
            checkId(cls, p.path("cls").path(1), tokens);
            checkId(sep, p.path("sep").path(1), tokens);
        } else if ("TemplateProcessing".equals(type)) {
            JsonNode single = p.path("single");
            JsonNode pair = p.path("pair");
            cls = special(single.path(0), 0);
            sep = special(single.path(2), 0);
            boolean bert = single.size() == 3 && cls != null && sep != null && isSequence(single.path(1), "A", 0)
                    && pair.size() == 5 && cls.equals(special(pair.path(0), 0)) && isSequence(pair.path(1), "A", 0)
                    && sep.equals(special(pair.path(2), 0)) && isSequence(pair.path(3), "B", 1)
                    && sep.equals(special(pair.path(4), 1));
            if (!bert) {
                throw fail("has a TemplateProcessing post_processor that is not BERT's; expected single "
                        + "[CLS]:0 $A:0 [SEP]:0 and pair [CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1");
            }
            for (String name : List.of(cls, sep)) {
                JsonNode ids = p.path("special_tokens").path(name).path("ids");
                if (ids.size() != 1) {
                    throw fail("post_processor.special_tokens." + name + " must list exactly one id");
                }
                checkId(name, ids.get(0), tokens);
            }
        } else {
            throw fail("has post_processor " + type + "; expected BertProcessing or TemplateProcessing with "
                    + "[CLS]/[SEP]");
        }
        if (cls == null || sep == null) {
            throw fail("has a post_processor without [CLS]/[SEP] tokens");
        }
        return new String[]{cls, sep};
    }

    private void checkId(String token, JsonNode id, List<String> tokens) {
        int expected = tokens.lastIndexOf(token);
        if (token != null && expected >= 0 && (!id.isIntegralNumber() || id.asInt() != expected)) {
            throw fail("gives " + token + " the id " + id + " in post_processor but " + expected
                    + " in the vocabulary");
        }
    }

    private static String special(JsonNode item, int typeId) {
        JsonNode s = item.path("SpecialToken");
        return s.path("type_id").asInt(-1) == typeId ? s.path("id").asText(null) : null;
    }

    private static boolean isSequence(JsonNode item, String id, int typeId) {
        JsonNode s = item.path("Sequence");
        return id.equals(s.path("id").asText(null)) && s.path("type_id").asInt(-1) == typeId;
    }

    private static String text(JsonNode node, String field, String fallback) {
        JsonNode v = node.path(field);
        return v.isTextual() ? v.asText() : fallback;
    }

    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException("tokenizer file " + file + " " + what);
    }
}
