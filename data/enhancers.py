"""Which trained enhancer a name means: "sft", "dpo-1", "dpo-2" are the newest finished model of each stage in a
store, except where the round gate refused a DPO round, which means the policy it kept instead."""

from __future__ import annotations

from pav.data.store import ArtifactRef, Store


def verdict_path(model: ArtifactRef) -> str:
    """Where the round gate's verdict on a round's model lives: beside it ("models/dpo2-<key>.gate.json")."""
    return f"{model.path}.gate.json"


def trained_models(store: Store) -> dict[str, ArtifactRef]:
    """Models trained in this store by stage name ("sft", "dpo-1", "dpo-2", ...), the newest of each, as trained
    (the gate's verdict not applied)."""
    found: dict[str, tuple[float, ArtifactRef]] = {}
    for path in sorted({"/".join(p.split("/")[:2]) for p in store.ls("models") if p.count("/") >= 2}):
        if not store.dir_complete(path):  # an unfinished copy
            continue
        prefix = path.split("/")[1].rsplit("-", 1)[0]  # "dpo2-<key>" -> "dpo2"
        method = prefix if prefix == "sft" else f"dpo-{prefix.removeprefix('dpo')}"
        stamp = store.mtime(f"{path}/.complete")
        if method not in found or stamp > found[method][0]:
            found[method] = (stamp, ArtifactRef(root=store.root, path=path, kind="dir"))
    return {m: found[m][1] for m in sorted(found, key=lambda m: (m != "sft", m))}


def kept_model(model: ArtifactRef) -> ArtifactRef:
    """The policy users get for a round's model: itself, or the previous one where the gate refused the round."""
    store = Store(model.root)
    if not store.exists(verdict_path(model)):
        return model
    verdict = store.read_json(verdict_path(model))
    return model if verdict["kept_round"] else ArtifactRef(root=model.root, path=verdict["kept"], kind="dir")


def enhancers(store: Store, names: list[str] | None = None) -> dict[str, ArtifactRef]:
    """The model each enhancer name gives a user in this store (all of them when names is None); a ValueError
    names the ones never trained there."""
    available = {name: kept_model(model) for name, model in trained_models(store).items()}
    if names is None:
        return available
    missing = [n for n in names if n not in available]
    if missing:
        raise ValueError(f"no enhancer {', '.join(map(repr, missing))} trained in {store.root}; trained there: "
                         f"{', '.join(available) or 'none (run train first)'}")
    return {n: available[n] for n in names}
