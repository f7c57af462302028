package dev.metering.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test once per infrastructure backend: the embedded broker and PostgreSQL, and the same on
 * Testcontainers. The test takes a {@link TestInfra} parameter. Where Docker is absent, the
 * Testcontainers variant is reported as skipped, not failed.
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@TestTemplate
@ExtendWith(InfraTestProvider.class)
public @interface InfraTest {
}
