using k8s.Models;

namespace Kompox.Testing;

/// <summary>apis/apps/validation ValidateDeploymentSpec.</summary>
internal static class DeploymentRules
{
    private static readonly string[] StrategyTypes = ["Recreate", "RollingUpdate"];

    public static void Validate(FieldErrors errors, V1Deployment deployment)
    {
        var spec = deployment.Spec;
        if (spec is null)
        {
            errors.Required("spec");
            return;
        }
        NonNegative(errors, spec.Replicas, "spec.replicas");
        NonNegative(errors, spec.MinReadySeconds, "spec.minReadySeconds");
        NonNegative(errors, spec.RevisionHistoryLimit, "spec.revisionHistoryLimit");
        if (spec.ProgressDeadlineSeconds is { } deadline)
        {
            NonNegative(errors, deadline, "spec.progressDeadlineSeconds");
            if (deadline <= (spec.MinReadySeconds ?? 0))
            {
                errors.Invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds");
            }
        }

        ValidateSelector(errors, spec);
        ValidateStrategy(errors, spec.Strategy);
        PodRules.ValidatePodTemplate(errors, spec.Template, "spec.template", ["Always"]);
    }

    private static void ValidateSelector(FieldErrors errors, V1DeploymentSpec spec)
    {
        if (spec.Selector is null)
        {
            errors.Required("spec.selector");
            return;
        }
        MetadataRules.ValidateLabelSelector(errors, spec.Selector, "spec.selector");
        var isEmpty = (spec.Selector.MatchLabels?.Count ?? 0) + (spec.Selector.MatchExpressions?.Count ?? 0) == 0;
        if (isEmpty)
        {
            errors.Invalid("spec.selector", "", "empty selector is invalid for deployment");
            return;
        }
        if (spec.Template is not null && !MetadataRules.SelectorMatches(spec.Selector, spec.Template.Metadata?.Labels))
        {
            var labels = spec.Template.Metadata?.Labels is { } templateLabels
                ? string.Join(",", templateLabels.Select(label => $"{label.Key}={label.Value}"))
                : "";
            errors.Invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`");
        }
    }

    private static void ValidateStrategy(FieldErrors errors, V1DeploymentStrategy? strategy)
    {
        // Type is defaulted to RollingUpdate by the apiserver before validation.
        var type = string.IsNullOrEmpty(strategy?.Type) ? "RollingUpdate" : strategy.Type;
        if (!StrategyTypes.Contains(type))
        {
            errors.NotSupported("spec.strategy.type", type, StrategyTypes);
            return;
        }
        if (type == "Recreate")
        {
            if (strategy?.RollingUpdate is not null)
            {
                errors.Forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
            }
            return;
        }
        if (strategy?.RollingUpdate is not { } rollingUpdate)
        {
            return;
        }
        var maxUnavailable = ValidateIntOrPercent(errors, rollingUpdate.MaxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable");
        var maxSurge = ValidateIntOrPercent(errors, rollingUpdate.MaxSurge, "spec.strategy.rollingUpdate.maxSurge");
        if (maxUnavailable is { IsPercent: true, Amount: > 100 })
        {
            errors.Invalid("spec.strategy.rollingUpdate.maxUnavailable", rollingUpdate.MaxUnavailable!.Value, "must not be greater than 100%");
        }
        if (maxUnavailable is { Amount: 0 } && maxSurge is { Amount: 0 })
        {
            errors.Invalid("spec.strategy.rollingUpdate.maxUnavailable", rollingUpdate.MaxUnavailable!.Value, "may not be 0 when `maxSurge` is 0");
        }
    }

    private readonly record struct IntOrPercent(int Amount, bool IsPercent);

    private static IntOrPercent? ValidateIntOrPercent(FieldErrors errors, IntOrString? value, string path)
    {
        if (value?.Value is not { Length: > 0 } text)
        {
            return null;
        }
        var isPercent = text.EndsWith('%');
        var digits = isPercent ? text[..^1] : text;
        if (!int.TryParse(digits, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var amount))
        {
            errors.Invalid(path, text, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
            return null;
        }
        if (amount < 0)
        {
            errors.Invalid(path, text, "must be greater than or equal to 0");
        }
        return new IntOrPercent(amount, isPercent);
    }

    private static void NonNegative(FieldErrors errors, int? value, string path)
    {
        if (value is < 0)
        {
            errors.Invalid(path, value.Value, "must be greater than or equal to 0");
        }
    }
}
