"""A keyword of ``multissl.pretrain`` reaches one section: no method option shares its name with a data option
of a modality the method serves (``anchor=`` would otherwise go to the method, never to ``data.anchor``)."""

import dataclasses

from multissl.plugins import registry


def test_no_method_option_shares_a_name_with_a_data_option_of_its_modalities():
    reg = registry()
    clashes = []
    for modality in reg.names("modality"):
        data = {f.name for f in dataclasses.fields(reg.get("modality", modality).Options)}
        for method in reg.methods_for(modality):
            shared = data & {f.name for f in dataclasses.fields(reg.get("method", method.name).Config)}
            clashes += [f"{method.name} on {modality}: {name}" for name in sorted(shared)]
    assert not clashes, f"Ambiguous keyword options (rename the method's): {clashes}"
