"""Entry HTML that holds MathML, as the XHTML document an Atom feed can carry.

MathML is XML. Escaped inside ``type="html"`` content it reads as unknown HTML
tags; inside ``type="xhtml"`` it breaks RFC 4287's schema, which allows XHTML
elements only. As a whole XHTML document (``type="application/xhtml+xml"``) it is
both valid and math.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from lxml import html as lxml_html

XHTML_NS = "http://www.w3.org/1999/xhtml"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def has_mathml(fragment: str) -> bool:
    return "<math" in fragment


def xhtml_document(fragment: str, title: str) -> str:
    """Sanitized HTML as a standalone XHTML document, MathML in its own namespace."""
    parsed = lxml_html.fragment_fromstring(fragment, create_parent="div")
    document = etree.Element(f"{{{XHTML_NS}}}html", nsmap={None: XHTML_NS})
    head = etree.SubElement(document, f"{{{XHTML_NS}}}head")
    etree.SubElement(head, f"{{{XHTML_NS}}}title").text = title
    body = etree.SubElement(document, f"{{{XHTML_NS}}}body")
    body.text = parsed.text
    # Sanitized HTML holds no comments or processing instructions: elements only.
    for child in parsed:
        body.append(_namespaced(child, XHTML_NS))
    return str(etree.tostring(document, encoding="unicode"))


def _namespaced(element: Any, namespace: str) -> Any:
    tag = str(element.tag).lower()
    if tag == "math":
        namespace = MATHML_NS
    copy = etree.Element(f"{{{namespace}}}{tag}", nsmap={None: namespace})
    for name, value in element.attrib.items():
        if name != "xmlns" and ":" not in name:
            copy.set(name, value)
    copy.text = element.text
    for child in element:
        copy.append(_namespaced(child, namespace))
    copy.tail = element.tail
    return copy
