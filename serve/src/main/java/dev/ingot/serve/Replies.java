package dev.ingot.serve;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Short text replies: one line, never a stack trace, and the connection closed after them. */
final class Replies {

    private static final int MAX_REASON = 300;

    private Replies() {
    }

    /** Sends {@code status} with {@code reason} as a single line of plain text. */
    static void text(HttpExchange exchange, int status, String reason) throws IOException {
        byte[] body = (oneLine(reason) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        // An error may leave part of the request body unread: the connection cannot carry another request.
        exchange.getResponseHeaders().set("Connection", "close");
        if (status == 503) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** The first line of {@code reason}, cut to a readable length. */
    static String oneLine(String reason) {
        String text = reason == null || reason.isBlank() ? "no reason given" : reason.strip();
        int newline = text.indexOf('\n');
        if (newline >= 0) {
            text = text.substring(0, newline).strip();
        }
        text = text.replace('\r', ' ');
        return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON - 3) + "...";
    }
}
