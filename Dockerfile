# Builds metering.jar and runs it. The same image serves every command:
#   docker run IMAGE edge | consumer | migrate | replay | key <handle>
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY . .
RUN ./mvnw -B -ntp -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/metering metering
COPY --from=build /src/distro/target/metering.jar /opt/metering/metering.jar
USER metering
WORKDIR /var/lib/metering
# The edge's spool lives in the container's own filesystem: it survives a container restart.
ENV PROXY_SPOOL_DIR=/var/lib/metering/spool
EXPOSE 8080 8081
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/metering/metering.jar"]
CMD ["--help"]
