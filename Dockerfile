# A small static image of otasim: the shards, the collector and the
# reference server of a sharded run on Kubernetes (otasim k8s render).
#   docker build -t otasim:dev .
# modernc.org/sqlite is pure Go, so the binary needs no C library.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /otasim ./cmd/otasim

# distroless/static: CA certificates and a non-root user (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /otasim /otasim
USER 65532:65532
WORKDIR /out
ENTRYPOINT ["/otasim"]
