<?xml version="1.0" encoding="UTF-8"?>
<!--
  Example row XSLT (config key rowXslt). Input and output are <Rows> documents
  as described in ledgerbridge/plugins/visma_net/xslt.py.

  This one prefixes each row's description with its article number
  ("FRAKT: Frakt Göteborg–Oslo") and leaves out rows with amount 0.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" encoding="UTF-8"/>

  <xsl:template match="@*|node()">
    <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>
  </xsl:template>

  <xsl:template match="Row[number(Amount) = 0]"/>

  <xsl:template match="Row[ArticleNumber]/Description">
    <Description><xsl:value-of select="concat(../ArticleNumber, ': ', .)"/></Description>
  </xsl:template>
</xsl:stylesheet>
