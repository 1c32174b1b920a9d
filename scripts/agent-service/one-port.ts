import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

/**
 * One port for HTTP/1.1 and cleartext HTTP/2 with prior knowledge (h2c), both served by the same handler.
 * gRPC needs HTTP/2; workerd's fetch speaks HTTP/1.1 (gRPC-Web, Connect). Node's `allowHTTP1` only works on TLS
 * servers (ALPN) — a cleartext http2 server answers an HTTP/1.1 request with HTTP/2 frames — so each connection is
 * routed by its first bytes: the HTTP/2 preface starts with "PRI", which no HTTP/1.1 method does.
 */
export function listenOnePort(handler: (req: AnyRequest, res: AnyResponse) => void): { server: Server; sockets: Set<Socket> } {
  const http1 = createHttp1Server(handler);
  const http2 = createHttp2Server(handler);
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.once("data", (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      // The HTTP/2 session takes the already-buffered bytes itself and reads the socket natively from then on; the
      // HTTP/1.1 parser reads the stream, which has to flow again.
      if (first.subarray(0, 3).toString("latin1") === "PRI") {
        http2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  return { server, sockets };
}
