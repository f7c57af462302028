/** The runnable {@code metering.jar}: the CLI, dev mode and the wiring of every component (SPEC §3). */
package dev.metering.distro;
