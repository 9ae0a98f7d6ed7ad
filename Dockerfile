# hexwatch in a container: see docker-compose.yml.
FROM node:20-bookworm AS web
WORKDIR /web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci
COPY web/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
# The toolchain the Makefile builds with, from the Go module proxy.
ENV GOTOOLCHAIN=go1.27.3
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /web/dist ./web/dist
ARG VERSION=docker
RUN CGO_ENABLED=1 go build -ldflags "-X main.version=${VERSION}" -o /out/hexwatch ./cmd/hexwatch

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /nonexistent hexwatch
COPY --from=build /out/hexwatch /usr/local/bin/hexwatch
# The service area and gazetteer are built into the binary; mount files of
# your own and set HEXWATCH_SERVICE_AREA and HEXWATCH_GAZETTEER to serve elsewhere.
USER hexwatch
EXPOSE 8080
ENTRYPOINT ["hexwatch"]
CMD ["serve"]
