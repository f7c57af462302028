package dev.metering.testkit;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/** Expands an {@link InfraTest} into one invocation per backend. */
final class InfraTestProvider implements TestTemplateInvocationContextProvider {
    private static final List<InfraBackend> BACKENDS = List.of(EmbeddedBackend.INSTANCE, ContainerBackend.INSTANCE);

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getRequiredTestMethod().isAnnotationPresent(InfraTest.class);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        return BACKENDS.stream().map(BackendInvocation::new);
    }

    private record BackendInvocation(InfraBackend backend) implements TestTemplateInvocationContext {
        @Override
        public String getDisplayName(int invocationIndex) {
            return "[" + backend.name() + "]";
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            return List.of(new BackendCondition(backend), new TestInfraResolver(backend));
        }
    }

    private record BackendCondition(InfraBackend backend) implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return backend.available()
                    ? ConditionEvaluationResult.enabled(backend.name() + " is available")
                    : ConditionEvaluationResult.disabled(backend.name() + " needs a Docker engine, and none answers");
        }
    }

    private record TestInfraResolver(InfraBackend backend) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == TestInfra.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            TestInfra infra = new TestInfra(backend);
            // Closed by JUnit when the invocation ends: drops the test's databases.
            context.getStore(ExtensionContext.Namespace.create(InfraTestProvider.class, context.getUniqueId()))
                    .put(TestInfra.class, (AutoCloseable) infra);
            return infra;
        }
    }
}
