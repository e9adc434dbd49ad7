"""Problems found in a parsed packet tree, tied to the element they concern until their line
numbers are known; and the element paths (`/edXML/.../To[2]/OrganId`) that locate them."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from envelopes.problem_codes import ProblemCode


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem about `element` (in the normalized tree), or about its missing child `child`;
    `path` locates a problem whose element could not be found."""

    code: ProblemCode
    message: str
    element: etree._Element | None = None
    child: str = ""
    path: str = ""

    @property
    def location_path(self) -> str:
        if self.element is None:
            return self.path or "/"
        path = element_path(self.element)
        return f"{path}/{self.child}" if self.child else path


def local_name(tag: str) -> str:
    """`OrganId` for `{namespace}OrganId` and for `OrganId`."""
    return tag.rpartition("}")[2]


def element_path(element: etree._Element) -> str:
    """The path of an element, indexed like libxml2 (and so like XSD errors): `To[2]` when the
    parent has several `To` children, plain `OrganId` when it has one."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        name = local_name(node.tag)
        if parent is not None:
            twins = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(twins) > 1:
                name = f"{name}[{twins.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))
