# The survey services on Debian 12: survey-collector, survey-aggregator and
# the survey client, with the questionnaires in /usr/share/survey and the
# LMDB environment in the volume /var/lib/survey.
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libzmq3-dev libsodium-dev \
      libprotobuf-c-dev protobuf-c-compiler liblmdb-dev libjansson-dev \
      libcsv-dev uuid-dev libinih-dev libxlsxwriter-dev libzstd-dev \
      liblz4-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSV_TESTS=OFF \
      -DSV_DEFAULT_DATA_DIR=/var/lib/survey \
      -DSV_DEFAULT_SURVEY_DIR=/usr/share/survey \
 && cmake --build /build -j"$(nproc)" \
 && cmake --install /build --prefix /usr/local

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libzmq5 libsodium23 libprotobuf-c1 liblmdb0 libjansson4 libcsv3 \
      libuuid1 libinih1 libxlsxwriter4 libzstd1 liblz4-1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/survey-collector /usr/local/bin/survey-aggregator /usr/local/bin/survey /usr/local/bin/
COPY data/ /usr/share/survey/
VOLUME ["/var/lib/survey"]
EXPOSE 5555 5556
CMD ["survey-collector", "--help"]
