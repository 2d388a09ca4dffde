package dev.lbhealth.agent.status;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's chromium, headless, driven over the DevTools protocol (JDK WebSocket client):
 * evaluate JavaScript in the page and take screenshots.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final Pattern DEVTOOLS = Pattern.compile("DevTools listening on (ws://127\\.0\\.0\\.1:(\\d+)/\\S+)");
  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private volatile String promptAnswer;
  /** How many prompts the page showed. */
  final AtomicInteger prompts = new AtomicInteger();

  HeadlessChromium(Path dir, String url) throws Exception {
    Path log = dir.resolve("chromium.log");
    process = new ProcessBuilder(List.of("chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
        "--no-first-run", "--user-data-dir=" + dir.resolve("profile"), "--remote-debugging-port=0",
        "--window-size=1200,600", url)).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String port = null;
    while (port == null) {
      Matcher m = DEVTOOLS.matcher(Files.readString(log));
      if (m.find()) {
        port = m.group(2);
      } else if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new IOException("chromium did not start: " + Files.readString(log));
      } else {
        Thread.sleep(50);
      }
    }
    HttpClient http = HttpClient.newHttpClient();
    JsonArray targets = new JsonArray(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    String page = targets.stream().map(o -> (JsonObject) o).filter(o -> "page".equals(o.getString("type")))
        .findFirst().orElseThrow().getString("webSocketDebuggerUrl");
    socket = http.newWebSocketBuilder().buildAsync(URI.create(page), new Listener()).get(10, TimeUnit.SECONDS);
  }

  JsonObject call(String method, JsonObject params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    pending.put(id, answer);
    socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true);
    JsonObject reply = answer.get(10, TimeUnit.SECONDS);
    if (reply.containsKey("error")) {
      throw new IOException(method + ": " + reply.getJsonObject("error").encode());
    }
    return reply.getJsonObject("result");
  }

  /** From now on, answers every JavaScript prompt() of the page with {@code text}. */
  void answerPrompts(String text) throws Exception {
    promptAnswer = text;
    call("Page.enable", new JsonObject());
  }

  void navigate(String url) throws Exception {
    call("Page.navigate", new JsonObject().put("url", url));
  }

  /** The value of a JavaScript expression in the page. */
  Object eval(String expression) throws Exception {
    JsonObject result = call("Runtime.evaluate", new JsonObject().put("expression", expression).put("returnByValue", true));
    return result.getJsonObject("result").getValue("value");
  }

  void screenshot(Path png) throws Exception {
    String data = call("Page.captureScreenshot", new JsonObject().put("format", "png")).getString("data");
    Files.createDirectories(png.getParent());
    Files.write(png, java.util.Base64.getDecoder().decode(data));
  }

  @Override
  public void close() throws Exception {
    socket.abort();
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        JsonObject message = new JsonObject(text.toString());
        text.setLength(0);
        CompletableFuture<JsonObject> answer = message.containsKey("id") ? pending.remove(message.getInteger("id")) : null;
        if (answer != null) {
          answer.complete(message);
        }
        if ("Page.javascriptDialogOpening".equals(message.getString("method")) && promptAnswer != null) {
          prompts.incrementAndGet();
          webSocket.sendText(new JsonObject().put("id", ids.incrementAndGet()).put("method", "Page.handleJavaScriptDialog")
              .put("params", new JsonObject().put("accept", true).put("promptText", promptAnswer)).encode(), true);
        }
      }
      webSocket.request(1);
      return null;
    }
  }
}
