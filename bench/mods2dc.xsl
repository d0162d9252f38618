<?xml version="1.0" encoding="UTF-8"?>
<!--
  mods2dc.xsl - the reference for bench/metadata.sh: MODS 3.x to oai_dc with
  the same mapping Vellum's C crosswalk implements (metadata-notes 2.1 and
  2.3, docs/crosswalk.md), written for xsltproc (XSLT 1.0).  It is not
  LoC's MODS3-22simpleDC.xsl: typeOfResource follows table 2.3 row by row,
  authors and other creator roles become dc:creator, start/end dates and
  periods are joined as "start/end", one dc:language per code (BCP 47 when
  the record gives it), URIs first among identifiers.  Like Vellum it
  writes a <records> element holding one oai_dc:dc per MODS record.
  Not covered here (Vellum does them): deduplication of identical values,
  ISO 639-2/B to BCP 47 conversion of codes without an rfc5646 term,
  scripts folded into xml:lang.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:mods="http://www.loc.gov/mods/v3"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="mods xlink">
  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>
  <xsl:strip-space elements="*"/>

  <xsl:variable name="creators" select="' arc art aus aut chr cmp cre ctg drm dsr egr etr fmk inv ive ivr lbt lyr pht prg scl '"/>

  <xsl:template match="/">
    <records>
      <xsl:apply-templates select="//mods:mods"/>
    </records>
  </xsl:template>

  <!-- xml:lang of a MODS element: its own or its parent's; none on codes -->
  <xsl:template name="lang">
    <xsl:param name="n" select="."/>
    <xsl:variable name="l" select="($n/ancestor-or-self::*[@xml:lang])[last()]/@xml:lang"/>
    <xsl:if test="$l">
      <xsl:attribute name="xml:lang"><xsl:value-of select="$l"/></xsl:attribute>
    </xsl:if>
  </xsl:template>

  <xsl:template name="title-text">
    <xsl:param name="ti"/>
    <xsl:if test="$ti/mods:nonSort">
      <xsl:value-of select="normalize-space($ti/mods:nonSort)"/>
      <xsl:text> </xsl:text>
    </xsl:if>
    <xsl:value-of select="$ti/mods:title"/>
    <xsl:for-each select="$ti/mods:subTitle">: <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="$ti/mods:partNumber">. <xsl:value-of select="."/></xsl:for-each>
    <xsl:for-each select="$ti/mods:partName">. <xsl:value-of select="."/></xsl:for-each>
  </xsl:template>

  <xsl:template name="name-text">
    <xsl:param name="n"/>
    <xsl:for-each select="$n/mods:namePart[not(@type)]">
      <xsl:if test="position() &gt; 1">, </xsl:if>
      <xsl:value-of select="."/>
    </xsl:for-each>
    <xsl:for-each select="$n/mods:namePart[@type='family'] | $n/mods:namePart[@type='given'] | $n/mods:namePart[@type='termsOfAddress'] | $n/mods:namePart[@type='date']">
      <xsl:if test="position() &gt; 1 or $n/mods:namePart[not(@type)]">, </xsl:if>
      <xsl:value-of select="."/>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="dcmi">
    <xsl:param name="t"/>
    <xsl:choose>
      <xsl:when test="$t='text' or $t='notated music'">Text</xsl:when>
      <xsl:when test="$t='cartographic'">Image</xsl:when>
      <xsl:when test="starts-with($t, 'sound recording')">Sound</xsl:when>
      <xsl:when test="$t='still image'">StillImage</xsl:when>
      <xsl:when test="$t='moving image'">MovingImage</xsl:when>
      <xsl:when test="$t='three dimensional object'">PhysicalObject</xsl:when>
      <xsl:when test="$t='software, multimedia'">Software</xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="mods:mods">
    <oai_dc:dc xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <xsl:for-each select="mods:titleInfo">
        <dc:title><xsl:call-template name="lang"/><xsl:call-template name="title-text"><xsl:with-param name="ti" select="."/></xsl:call-template></dc:title>
      </xsl:for-each>
      <xsl:for-each select="mods:name[mods:role/mods:roleTerm[@type='code' and contains($creators, concat(' ', normalize-space(.), ' '))] or mods:role/mods:roleTerm[@type='text' and (.='creator' or .='Creator' or .='Author' or .='author')]]">
        <dc:creator><xsl:call-template name="lang"/><xsl:call-template name="name-text"><xsl:with-param name="n" select="."/></xsl:call-template></dc:creator>
      </xsl:for-each>
      <xsl:for-each select="mods:subject[mods:topic or mods:occupation or mods:name or mods:titleInfo]">
        <dc:subject><xsl:call-template name="lang"/>
          <xsl:for-each select="mods:topic | mods:occupation | mods:name/mods:namePart | mods:titleInfo/mods:title">
            <xsl:if test="position() &gt; 1">--</xsl:if><xsl:value-of select="."/>
          </xsl:for-each>
        </dc:subject>
      </xsl:for-each>
      <xsl:for-each select="mods:classification">
        <dc:subject><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:subject>
      </xsl:for-each>
      <xsl:for-each select="mods:abstract | mods:tableOfContents | mods:note">
        <dc:description><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:description>
      </xsl:for-each>
      <xsl:for-each select="mods:originInfo/mods:publisher">
        <dc:publisher><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:publisher>
      </xsl:for-each>
      <xsl:for-each select="mods:name[not(mods:role/mods:roleTerm[@type='code' and contains($creators, concat(' ', normalize-space(.), ' '))] or mods:role/mods:roleTerm[@type='text' and (.='creator' or .='Creator' or .='Author' or .='author')])]">
        <dc:contributor><xsl:call-template name="lang"/><xsl:call-template name="name-text"><xsl:with-param name="n" select="."/></xsl:call-template></dc:contributor>
      </xsl:for-each>
      <xsl:for-each select="mods:originInfo/*[self::mods:dateIssued or self::mods:dateCreated or self::mods:dateCaptured or self::mods:dateValid or self::mods:dateModified or self::mods:copyrightDate or self::mods:dateOther][not(@point='end')]">
        <dc:date>
          <xsl:value-of select="."/>
          <xsl:if test="@point='start' and following-sibling::*[1][@point='end' and local-name()=local-name(current())]">/<xsl:value-of select="following-sibling::*[1]"/></xsl:if>
        </dc:date>
      </xsl:for-each>
      <xsl:for-each select="mods:typeOfResource">
        <xsl:variable name="d"><xsl:call-template name="dcmi"><xsl:with-param name="t" select="normalize-space(.)"/></xsl:call-template></xsl:variable>
        <xsl:if test="string($d)"><dc:type><xsl:value-of select="$d"/></dc:type></xsl:if>
        <xsl:if test="@collection='yes'"><dc:type>Collection</dc:type></xsl:if>
      </xsl:for-each>
      <xsl:for-each select="mods:genre | mods:subject/mods:genre">
        <dc:type><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:type>
      </xsl:for-each>
      <xsl:for-each select="mods:physicalDescription/mods:internetMediaType | mods:physicalDescription/mods:extent | mods:physicalDescription/mods:form">
        <dc:format><xsl:value-of select="."/></dc:format>
      </xsl:for-each>
      <xsl:for-each select="mods:location/mods:url | mods:identifier[starts-with(., 'http')]">
        <dc:identifier><xsl:value-of select="."/></dc:identifier>
      </xsl:for-each>
      <xsl:for-each select="mods:identifier[not(starts-with(., 'http'))]">
        <dc:identifier>
          <xsl:if test="@type='isbn' or @type='issn' or @type='lccn' or @type='doi' or @type='hdl'"><xsl:value-of select="@type"/>: </xsl:if>
          <xsl:value-of select="."/>
        </dc:identifier>
      </xsl:for-each>
      <xsl:for-each select="mods:relatedItem[@type='original']">
        <dc:source>
          <xsl:for-each select="mods:titleInfo[1]/mods:title | mods:identifier | mods:location/mods:url">
            <xsl:if test="position() &gt; 1">--</xsl:if><xsl:value-of select="."/>
          </xsl:for-each>
        </dc:source>
      </xsl:for-each>
      <xsl:for-each select="mods:language">
        <dc:language>
          <xsl:choose>
            <xsl:when test="mods:languageTerm[@authority='rfc5646' or @authority='rfc4646']"><xsl:value-of select="mods:languageTerm[@authority='rfc5646' or @authority='rfc4646'][1]"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="mods:languageTerm[1]"/></xsl:otherwise>
          </xsl:choose>
        </dc:language>
      </xsl:for-each>
      <xsl:for-each select="mods:relatedItem[not(@type='original')]">
        <dc:relation>
          <xsl:for-each select="mods:titleInfo[1]/mods:title | mods:identifier | mods:location/mods:url">
            <xsl:if test="position() &gt; 1">--</xsl:if><xsl:value-of select="."/>
          </xsl:for-each>
        </dc:relation>
      </xsl:for-each>
      <xsl:for-each select="mods:subject/mods:geographic | mods:subject/mods:cartographics/mods:coordinates">
        <dc:coverage><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:coverage>
      </xsl:for-each>
      <xsl:for-each select="mods:subject/mods:hierarchicalGeographic">
        <dc:coverage>
          <xsl:for-each select="*"><xsl:if test="position() &gt; 1">--</xsl:if><xsl:value-of select="."/></xsl:for-each>
        </dc:coverage>
      </xsl:for-each>
      <xsl:for-each select="mods:subject/mods:temporal[not(@point='end')]">
        <dc:coverage>
          <xsl:value-of select="."/>
          <xsl:if test="@point='start' and following-sibling::*[1][self::mods:temporal and @point='end']">/<xsl:value-of select="following-sibling::*[1]"/></xsl:if>
        </dc:coverage>
      </xsl:for-each>
      <xsl:for-each select="mods:accessCondition">
        <xsl:if test="@xlink:href and @xlink:href != normalize-space(.)">
          <dc:rights><xsl:value-of select="@xlink:href"/></dc:rights>
        </xsl:if>
        <dc:rights><xsl:call-template name="lang"/><xsl:value-of select="."/></dc:rights>
      </xsl:for-each>
    </oai_dc:dc>
  </xsl:template>
</xsl:stylesheet>
