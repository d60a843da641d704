"""A name -> object registry that refuses duplicates and explains failed lookups."""

import dataclasses

from zoo.errors import ConfigError, UnknownNameError

__all__ = ["Registry", "dataclass_from_dict"]


def dataclass_from_dict(config_class, options, what):
    """`config_class(**options)` for a dict of options (e.g. parsed JSON); lists become tuples.

    Unknown keys are refused (`ConfigError`) with a message naming `what` (e.g. "prior 'vamp'").
    Keys in the class's `RENAMED_OPTIONS` ({old: new}, if it has one) are read
    under their new names, so that saved configs keep loading.
    """
    renamed = getattr(config_class, "RENAMED_OPTIONS", {})
    options = {renamed.get(k, k): v for k, v in (options or {}).items()}
    known = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(f"Unknown options {unknown} for {what}; known: {sorted(known)}.")
    return config_class(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})


class Registry:
    """Maps short names to builders (priors, architectures, experiments ...).

    >>> PRIORS = Registry("prior", hint="import zoo.priors")
    >>> @PRIORS.register("standard")
    ... def build_standard(latent_shape): ...
    >>> PRIORS.get("standard")
    """

    def __init__(self, kind, hint=None):
        self.kind = kind
        self.hint = hint
        self._entries = {}

    def register(self, name):
        """Decorator registering `fn_or_class` under `name`; a duplicate name raises."""

        def decorator(obj):
            if name in self._entries:
                raise KeyError(f"{self.kind} {name!r} is already registered "
                               f"(by {self._entries[name].__module__}).")
            self._entries[name] = obj
            return obj

        return decorator

    def get(self, name):
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            hint = f" ({self.hint} registers the built-in ones)" if self.hint else ""
            raise UnknownNameError(f"Unknown {self.kind} {name!r}. Known {self.kind}s: "
                           f"{known}{hint}.") from None

    def names(self):
        return sorted(self._entries)

    def __contains__(self, name):
        return name in self._entries
